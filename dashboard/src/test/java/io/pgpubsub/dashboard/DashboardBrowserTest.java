package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Listener;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Notifier;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in real headless Chromium (Debian's chromium + chromium-driver, see {@link Chromium}) against
 * a real PostgreSQL, with a real listener. Every test leaves a screenshot in {@code target/screenshots/}.
 */
@PostgresTest
@Timeout(180)
class DashboardBrowserTest {

  static final String TOKEN = "s3cret-write-token";

  public record Order(int n) {}

  static ChromeDriver browser;
  static DashboardServer server;
  static String url;

  private final TestDatabase db;

  DashboardBrowserTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void start(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    Dashboard dashboard =
        Dashboard.builder(db.dataSource()).token(TOKEN).refresh(Duration.ofSeconds(1)).maxPayloadChars(4096).build();
    server = DashboardServer.start(dashboard, new InetSocketAddress("127.0.0.1", 0));
    url = server.url();
    browser = Chromium.start();
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
  }

  @AfterEach
  void screenshot(TestInfo info) throws Exception {
    Chromium.screenshot(browser, "dashboard-" + info.getTestMethod().orElseThrow().getName());
  }

  // ---------------------------------------------------------------- overview

  @Test
  void overviewShowsCountsChartsAndListenersOfALiveLoad() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    ChannelDefinition orders =
        plain("orders", Order.class, (target, inv) -> {
          int n = inv.newValue(Order.class).n();
          if (n % 25 == 0) {
            throw new IllegalStateException("order " + n + " has no customer");
          }
          handled.incrementAndGet();
        });
    insertPending("mail", 5); // a channel nobody listens to: its backlog waits
    Notifier notifier = Notifier.create("public", List.of(orders));
    // the live load: 20 notifications in one transaction every 50 ms (about 400/s)
    AtomicInteger next = new AtomicInteger(1);
    ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();
    Runnable write =
        () -> {
          try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < 20; i++) {
              notifier.send(c, new Order(next.getAndIncrement()));
            }
            c.commit();
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        };
    try (Listener listener =
        Listener.builder()
            .jdbcUrl(db.jdbcUrl())
            .user(db.user())
            .password(db.password())
            .name("orders-worker")
            .channelDefinitions(List.of(orders))
            .retryPolicy(RetryPolicy.noRetries())
            .build()
            .start()) {
      writer.scheduleAtFixedRate(write, 0, 50, TimeUnit.MILLISECONDS);
      browser.get(url);
      WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
      // the live listener appears with a positive rate (its heartbeat comes every 10 s)
      wait.withMessage("orders listed with 1 live listener and a positive rate")
          .until(d -> cellText("orders", "listeners").equals("1") && Double.parseDouble(cellText("orders", "rate")) > 0);
      assertThat(cellText("mail", "pending")).isEqualTo("5");
      assertThat(cellText("mail", "listeners")).isEqualTo("0");
      assertThat(cellText("mail", "oldest")).endsWith(" s");
      assertThat(js("return [...document.querySelectorAll('#listeners tbody tr')].map(r => r.textContent);"))
          .asList()
          .anySatisfy(t -> assertThat((String) t).startsWith("orders-worker@").contains("orders"));
      // the charts: Chart.js drew a throughput series of orders with a point above zero, and a lag series
      wait.withMessage("a throughput point above zero in the chart")
          .until(d -> Boolean.TRUE.equals(js(
              "const c = Chart.getChart(document.getElementById('throughput-chart'));"
                  + " const s = c && c.data.datasets.find(d => d.label === 'orders');"
                  + " return !!s && s.data.some(p => p.y > 0);")));
      assertThat(js("const c = Chart.getChart(document.getElementById('lag-chart'));"
              + " return c.data.datasets.map(d => d.label);"))
          .asList()
          .contains("orders");
      assertThat((Long) js("const c = document.getElementById('throughput-chart');"
              + " const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
              + " let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++; return n;"))
          .as("painted pixels on the throughput canvas")
          .isGreaterThan(1000);
      writer.shutdown();
      assertThat(writer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      // the load is over: the page converges on the database's exact counts, by auto-refresh alone
      new WebDriverWait(browser, Duration.ofSeconds(60))
          .withMessage("orders pending 0 and dead as in the table")
          .until(d -> {
            try {
              return cellText("orders", "pending").equals("0")
                  && cellText("orders", "dead").equals(Long.toString(deadCount("orders")));
            } catch (SQLException e) {
              throw new IllegalStateException(e);
            }
          });
      assertThat(deadCount("orders")).isPositive();
      assertThat(handled.get()).isPositive();
      String docs = System.getProperty("pgpubsub.docs.screenshot");
      if (docs != null && !docs.isBlank()) {
        Path shot = Chromium.screenshot(browser, "dashboard-docs");
        Files.copy(shot, Path.of(docs), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  // ---------------------------------------------------------------- dead letters

  @Test
  void retryAndPurgeThroughThePageChangeTheTable() throws Exception {
    long[] ids = insertDead("refunds", 4, "{\"op\":\"INSERT\",\"new\":{\"amount\":12},\"context\":{\"user\":\"ann\"}}",
        "java.net.SocketTimeoutException: payment gateway timed out\n\tat com.example.Refunds.pay(Refunds.java:42)");
    browser.get(url + "#token=" + TOKEN);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.withMessage("the token in the fragment verified").until(d -> mode().equals("writes"));
    new Select(browser.findElement(By.id("filter-channel"))).selectByValue(waitForOption("filter-channel", "refunds"));
    wait.until(d -> deadRowIds().size() == 4);

    // retry one, selected with its checkbox
    click(() -> row(ids[0]).findElement(By.cssSelector("input.select")));
    browser.findElement(By.id("retry-selected")).click();
    confirm("Retry 1 selected dead notification?");
    wait.withMessage("retried row gone from the list").until(d -> !deadRowIds().contains(ids[0]));
    assertThat(notice()).isEqualTo("Retried 1 dead notification.");
    assertThat(query("select dead_at is null and attempts = 0 from pgpubsub_notification where id = " + ids[0]))
        .as("the retried row is pending again, attempts reset")
        .isEqualTo("t");

    // purge one from its detail view, which shows payload, context and error with its stack
    click(() -> row(ids[1]));
    wait.until(d -> browser.findElement(By.id("detail")).isDisplayed());
    assertThat(browser.findElement(By.id("detail-payload")).getText()).contains("\"amount\" : 12");
    assertThat(browser.findElement(By.id("detail-context")).getText()).contains("\"user\" : \"ann\"");
    assertThat(browser.findElement(By.id("detail-error")).getText())
        .contains("SocketTimeoutException")
        .contains("at com.example.Refunds.pay(Refunds.java:42)");
    assertThat(browser.findElement(By.id("detail-attempts")).getText()).isEqualTo("5");
    browser.findElement(By.id("detail-purge")).click();
    confirm("Purge dead notification " + ids[1] + "?");
    wait.withMessage("purged row gone").until(d -> !deadRowIds().contains(ids[1]));
    assertThat(query("select count(*) from pgpubsub_notification where id = " + ids[1])).isEqualTo("0");

    // a cancelled confirmation changes nothing
    browser.findElement(By.id("purge-matching")).click();
    browser.findElement(By.id("confirm-no")).click();
    assertThat(deadCount("refunds")).isEqualTo(2);

    // purge all of the channel
    browser.findElement(By.id("purge-matching")).click();
    confirm("Purge all 2 dead notifications matching channel refunds?");
    wait.withMessage("the channel's dead letters all gone").until(d -> deadRowIds().isEmpty());
    assertThat(deadCount("refunds")).isZero();
    assertThat(query("select count(*) from pgpubsub_notification where channel = 'refunds' and dead_at is null"))
        .as("the retried one still waits for a listener")
        .isEqualTo("1");
  }

  @Test
  void aHostilePayloadAndErrorAreShownAsInertText() throws Exception {
    String script = "<script>window.__pwned = 1</script>";
    String img = "\"><img src=x onerror=\"window.__pwned = 2\">";
    long id =
        insertDead(
            "hostile",
            1,
            "{\"new\":{\"name\":\"" + script.replace("\"", "\\\"") + "\",\"bio\":\"" + img.replace("\"", "\\\"") + "\"}}",
            "java.lang.IllegalArgumentException: " + img + "\n\tat evil." + script)[0];
    browser.get(url);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> deadRowIds().contains(id));
    assertThat((String) js("return document.querySelector(\"#dead tr[data-id='" + id + "']\").textContent"))
        .contains("<img src=x onerror=")
        .contains("<script>");
    click(() -> row(id));
    wait.until(d -> browser.findElement(By.id("detail")).isDisplayed());
    assertThat(browser.findElement(By.id("detail-payload")).getText()).contains(script).contains("<img src=x");
    assertThat(browser.findElement(By.id("detail-error")).getText()).contains(img).contains(script);
    assertThat(js("return window.__pwned === undefined")).as("no script ran").isEqualTo(true);
    assertThat(browser.findElements(By.tagName("img"))).as("no element was made from the data").isEmpty();
    assertThat(browser.findElements(By.cssSelector("main script, dialog script"))).isEmpty();
    browser.findElement(By.id("detail-close")).click();
  }

  @Test
  void aLargePayloadIsTruncatedWithADownloadOfTheWhole() throws Exception {
    String big = "x".repeat(20_000);
    long id = insertDead("large", 1, "{\"new\":{\"blob\":\"" + big + "\"}}", "java.lang.OutOfMemoryError: big")[0];
    browser.get(url);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> deadRowIds().contains(id));
    click(() -> row(id));
    wait.until(d -> browser.findElement(By.id("detail")).isDisplayed());
    assertThat(browser.findElement(By.id("detail-truncated")).getText()).startsWith("Truncated:");
    assertThat(browser.findElement(By.id("detail-payload")).getText().length()).isLessThanOrEqualTo(4096);
    String href = browser.findElement(By.id("detail-download")).getAttribute("href");
    Object whole =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                    + " fetch(arguments[0]).then(r => r.json()).then(j => done(j.new.blob.length));",
                href);
    assertThat(whole).isEqualTo(20_000L);
    browser.findElement(By.id("detail-close")).click();
  }

  @Test
  void writesWithoutTheTokenAreRefusedWith403() throws Exception {
    long id = insertDead("guarded", 1, "{}", "java.lang.RuntimeException: boom")[0];
    ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
    browser.get(url); // no token
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> deadRowIds().contains(id));
    // the page's own POST (with its CSRF token but no write token) is refused
    Object status =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                    + " fetch('api/dead/purge', {method: 'POST', headers: {'Content-Type': 'application/json',"
                    + " 'X-CSRF-Token': document.querySelector('meta[name=pgpubsub-csrf]').content},"
                    + " body: JSON.stringify({ids: [arguments[0]]})}).then(r => done(r.status));",
                id);
    assertThat(status).isEqualTo(403L);
    // and the buttons stay disabled: no confirmation opens to be refused after it
    assertThat(mode()).isEqualTo("locked");
    assertThat(browser.findElement(By.id("purge-selected")).isEnabled()).isFalse();
    assertThat(browser.findElement(By.id("retry-matching")).isEnabled()).isFalse();
    // the token without the CSRF token is refused too
    Object noCsrf =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                    + " fetch('api/dead/purge', {method: 'POST', headers: {'Content-Type': 'application/json',"
                    + " 'X-Pgpubsub-Token': arguments[1]}, body: JSON.stringify({ids: [arguments[0]]})})"
                    + ".then(r => done(r.status));",
                id,
                TOKEN);
    assertThat(noCsrf).isEqualTo(403L);
    assertThat(deadCount("guarded")).as("nothing was purged").isEqualTo(1);
  }

  @Test
  void theBannerShowsWhileTheDatabaseIsUnreachableAndGoesAwayOnItsOwn() throws Exception {
    browser.get(url);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> "up".equals(browser.findElement(By.tagName("body")).getAttribute("data-db")));
    // from another database: PostgreSQL refuses to close the current one
    String other = db.jdbcUrl().replace("/" + db.name(), "/postgres");
    try (Connection admin = java.sql.DriverManager.getConnection(other, db.credentials());
        Statement s = admin.createStatement()) {
      s.execute("ALTER DATABASE \"" + db.name() + "\" WITH ALLOW_CONNECTIONS false");
      try {
        wait.withMessage("the banner").until(d -> browser.findElement(By.id("banner")).isDisplayed());
        assertThat(browser.findElement(By.id("banner")).getText()).startsWith("Database or dashboard unreachable:");
        Chromium.screenshot(browser, "dashboard-banner");
      } finally {
        s.execute("ALTER DATABASE \"" + db.name() + "\" WITH ALLOW_CONNECTIONS true");
      }
    }
    wait.withMessage("the banner gone after recovery").until(d -> !browser.findElement(By.id("banner")).isDisplayed());
    assertThat(browser.findElement(By.tagName("body")).getAttribute("data-db")).isEqualTo("up");
  }

  // ---------------------------------------------------------------- helpers

  static ChannelDefinition plain(String name, Class<?> type, io.pgpubsub.spi.ListenerInvoker invoker) {
    return new ChannelDefinition(
        name,
        type,
        false,
        true,
        true,
        null,
        null,
        Set.of(),
        type.getName(),
        null,
        List.of(new ListenerDefinition(name + "#on", ListenerKind.PLAIN, DashboardBrowserTest.class, true, invoker)));
  }

  // the page refreshes every second: read it in one script, so no element goes stale between two calls

  private String cellText(String channel, String column) {
    Object text =
        js("const td = document.querySelector(\"#channels tr[data-channel='" + channel + "'] td." + column + "\");"
            + " return td ? td.textContent : '';");
    return (String) text;
  }

  @SuppressWarnings("unchecked")
  private List<Long> deadRowIds() {
    return ((List<String>) js("return [...document.querySelectorAll('#dead tbody tr')].map(r => r.dataset.id);"))
        .stream()
        .map(Long::parseLong)
        .toList();
  }

  private WebElement row(long id) {
    return browser.findElement(By.cssSelector("#dead tbody tr[data-id='" + id + "']"));
  }

  /** Clicks what {@code find} finds, finding it again if a refresh replaced it meanwhile. */
  private void click(java.util.function.Supplier<WebElement> find) {
    for (int attempt = 1; ; attempt++) {
      try {
        find.get().click();
        return;
      } catch (org.openqa.selenium.StaleElementReferenceException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  private String waitForOption(String select, String value) {
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(d -> !d.findElements(By.cssSelector("#" + select + " option[value='" + value + "']")).isEmpty());
    return value;
  }

  private void confirm(String text) {
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(10));
    wait.until(d -> browser.findElement(By.id("confirm")).isDisplayed());
    assertThat(browser.findElement(By.id("confirm-text")).getText()).isEqualTo(text);
    browser.findElement(By.id("confirm-yes")).click();
  }

  private String mode() {
    return (String) js("return document.getElementById('mode').dataset.mode;");
  }

  private String notice() {
    return browser.findElement(By.id("notice")).getText();
  }

  private Object js(String script) {
    return ((JavascriptExecutor) browser).executeScript(script);
  }

  private long[] insertDead(String channel, int n, String payload, String error) throws SQLException {
    long[] ids = new long[n];
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into pgpubsub_notification(channel, payload, attempts, last_error, dead_at)"
                    + " values (?, ?::jsonb, 5, ?, now()) returning id")) {
      for (int i = 0; i < n; i++) {
        ps.setString(1, channel);
        ps.setString(2, payload);
        ps.setString(3, error);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          ids[i] = rs.getLong(1);
        }
      }
    }
    return ids;
  }

  private void insertPending(String channel, int n) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into pgpubsub_notification(channel, payload, created_at) values (?, '{}', now() - interval '30 seconds')")) {
      for (int i = 0; i < n; i++) {
        ps.setString(1, channel);
        ps.executeUpdate();
      }
    }
  }

  private long deadCount(String channel) throws SQLException {
    return Long.parseLong(
        query("select count(*) from pgpubsub_notification where dead_at is not null and channel = '" + channel + "'"));
  }

  private String query(String sql) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
