package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Issue 28 in real headless Chromium against a real PostgreSQL: the token is verified before anything
 * unlocks, bulk actions follow the filter, DNS rebinding is refused, late and gone listeners and channels
 * that are behind are marked, dead letters are paged, sorted, searched and grouped, pending rows are listed
 * with their next attempt, every view has a link, and the page fits 420 px. Each test starts from empty
 * tables and leaves a screenshot in {@code target/screenshots/}.
 */
@PostgresTest
@Timeout(180)
class DashboardOperatorBrowserTest {

  static final String TOKEN = "operator-write-token";

  static ChromeDriver browser;
  static DashboardServer server;
  static String url;
  static int port;

  private final TestDatabase db;

  DashboardOperatorBrowserTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void start(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    Dashboard dashboard =
        Dashboard.builder(db.dataSource())
            .token(TOKEN)
            .refresh(Duration.ofSeconds(1))
            .heartbeatInterval(Duration.ofSeconds(10))
            .lagThreshold(Duration.ofSeconds(60))
            .build();
    server = DashboardServer.start(dashboard, new InetSocketAddress("127.0.0.1", 0));
    url = server.url();
    port = server.address().getPort();
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

  @BeforeEach
  void emptyTables() throws Exception {
    db.execute("delete from pgpubsub_notification");
    db.execute("delete from pgpubsub_listener_stats");
    db.execute("delete from pgpubsub_stats_history");
    db.execute("drop table if exists pgpubsub_dashboard_audit");
    browser.manage().window().setSize(new Dimension(1400, 1500));
    browser.get(url);
    js("sessionStorage.clear()");
  }

  @AfterEach
  void screenshot(TestInfo info) throws Exception {
    Chromium.screenshot(browser, "operator-" + info.getTestMethod().orElseThrow().getName());
  }

  // ---------------------------------------------------------------- write safety

  @Test
  void aWrongTokenKeepsTheBadgeLockedAndOnlyAVerifiedTokenEnablesWrites() throws Exception {
    insertDead("locks", 1, "{}", "java.lang.IllegalStateException: x");
    browser.get(url);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> "up".equals(body("data-db")) && !deadRowIds().isEmpty());
    assertThat(mode()).isEqualTo("locked");
    assertThat(writeButtonsEnabled()).as("write controls before any token").containsOnly(false);

    enterToken("not-the-token");
    wait.withMessage("the refusal").until(d -> notice().equals("Wrong token: writes stay locked."));
    assertThat(mode()).as("the badge after a wrong token").isEqualTo("locked");
    assertThat(browser.findElement(By.id("mode")).getText()).isEqualTo("locked: enter the write token");
    assertThat(writeButtonsEnabled()).containsOnly(false);
    assertThat(js("return sessionStorage.getItem('pgpubsub-token')")).as("a refused token is not kept").isNull();

    enterToken(TOKEN);
    wait.withMessage("the right token verified").until(d -> mode().equals("writes"));
    assertThat(notice()).isEqualTo("Token verified: writes enabled for this tab.");
    assertThat(browser.findElement(By.id("mode")).getText()).isEqualTo("writes enabled");
    assertThat(writeButtonsEnabled()).containsOnly(true);
  }

  @Test
  void bulkRetryTakesTheCurrentFilterAndRetriesOnlyTheMatchingRows() throws Exception {
    long[] declined = insertDead("payments", 3, "{\"new\":{\"amount\":5}}",
        "com.shop.PaymentDeclinedException: card declined\n\tat com.shop.Pay.run(Pay.java:1)");
    long[] timeouts = insertDead("payments", 2, "{\"new\":{\"amount\":6}}", "java.net.SocketTimeoutException: timed out");
    long[] otherChannel = insertDead("refunds", 2, "{\"new\":{\"amount\":7}}",
        "com.shop.PaymentDeclinedException: card declined");
    browser.get(url + "#token=" + TOKEN);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> mode().equals("writes") && deadRowIds().size() == 7);

    // the error groups count across channels; the filter narrows them
    wait.until(d -> groups().equals(Map.of(
        "com.shop.PaymentDeclinedException: card declined", "5", "java.net.SocketTimeoutException: timed out", "2")));
    new Select(browser.findElement(By.id("filter-channel"))).selectByValue("payments");
    wait.until(d -> deadRowIds().size() == 5);
    wait.until(d -> "3".equals(groups().get("com.shop.PaymentDeclinedException: card declined")));
    // follow the group's link: the list shows that group of that channel, and the link is in the URL
    click(() -> browser.findElement(By.cssSelector("#group-table tr[data-group^='com.shop.Payment'] a")));
    wait.until(d -> deadRowIds().size() == 3);
    assertThat(deadRowIds()).containsExactlyInAnyOrder(declined[0], declined[1], declined[2]);
    assertThat(browser.getCurrentUrl()).contains("#dead?").contains("channel=payments").contains("group=");

    Chromium.docs(browser, "dashboard-error-groups", "groups-view");
    browser.findElement(By.id("retry-matching")).click();
    confirm("Retry all 3 dead notifications matching channel payments, error \"com.shop.PaymentDeclinedException: card declined\"?");
    wait.withMessage("the retried rows gone from the list").until(d -> deadRowIds().isEmpty());
    assertThat(notice()).isEqualTo("Retried 3 dead notifications.");
    assertThat(query("select string_agg(id::text, ',' order by id) from pgpubsub_notification where dead_at is null"))
        .as("exactly the matching rows are pending again")
        .isEqualTo(declined[0] + "," + declined[1] + "," + declined[2]);
    assertThat(query("select count(*) from pgpubsub_notification where dead_at is not null and id in ("
            + timeouts[0] + "," + timeouts[1] + "," + otherChannel[0] + "," + otherChannel[1] + ")"))
        .isEqualTo("4");

    // the retry is recorded: who, what, how many; and the notification's own view says who retried it
    wait.withMessage("the recorded action")
        .until(d -> text("#audit tbody tr[data-action='retry'] td.changed").equals("3"));
    assertThat(text("#audit tbody tr td.who")).isEqualTo("127.0.0.1");
    assertThat(text("#audit tbody tr td.what"))
        .isEqualTo("every dead letter matching channel payments, error \"com.shop.PaymentDeclinedException: card declined\"");
    browser.get(url + "#notification/" + declined[1]);
    wait.until(d -> browser.findElement(By.id("detail")).isDisplayed());
    assertThat(text("#detail-audit")).startsWith("retried by 127.0.0.1 at ");
    browser.findElement(By.id("detail-close")).click();
  }

  @Test
  void aDnsRebindingHostIsRefusedWhileTheAddressWorks() throws Exception {
    insertDead("secrets", 1, "{\"new\":{\"ssn\":\"123-45-6789\"}}", "java.lang.RuntimeException: x");
    // the browser resolves the attacker's name to 127.0.0.1: its requests carry Host: rebind.test:port
    browser.get("http://" + Chromium.REBIND_HOST + ":" + port + "/api/dead");
    String refused = browser.findElement(By.tagName("body")).getText();
    assertThat(refused).contains("Host 'rebind.test:" + port + "' is not allowed (DNS rebinding protection)")
        .doesNotContain("123-45-6789");
    browser.get("http://" + Chromium.REBIND_HOST + ":" + port + "/");
    assertThat(browser.getPageSource()).doesNotContain("pgpubsub-csrf");
    // by its address and by localhost it works
    browser.get("http://localhost:" + port + "/api/dead");
    assertThat(browser.findElement(By.tagName("body")).getText()).contains("123-45-6789");
    browser.get(url);
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> deadRowIds().size() == 1);
  }

  @Test
  void withAReadTokenThePageShowsNoDataUntilTheTokenIsEntered() throws Exception {
    insertDead("private", 1, "{\"new\":{\"card\":\"4111-1111\"}}", "java.lang.IllegalStateException: x");
    Dashboard guarded =
        Dashboard.builder(db.dataSource()).token(TOKEN).readToken("reader-token").refresh(Duration.ofSeconds(1)).build();
    try (DashboardServer second = DashboardServer.start(guarded, new InetSocketAddress("127.0.0.1", 0))) {
      browser.get(second.url());
      WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
      wait.withMessage("the read-token banner").until(d -> "locked".equals(body("data-db")));
      assertThat(browser.findElement(By.id("banner")).getText())
          .isEqualTo("This dashboard needs its read token: enter it in the token box.");
      assertThat(browser.getPageSource()).doesNotContain("4111-1111");
      assertThat(deadRowIds()).isEmpty();

      enterToken("reader-token");
      wait.withMessage("the data after the read token").until(d -> deadRowIds().size() == 1);
      assertThat(text("#dead tbody td.preview")).contains("4111-1111");
      assertThat(notice()).isEqualTo("Token accepted for reading; writes stay locked.");
      assertThat(mode()).isEqualTo("locked");
      assertThat(writeButtonsEnabled()).containsOnly(false);

      enterToken(TOKEN); // the write token reads too, and unlocks writes
      wait.until(d -> mode().equals("writes"));
      assertThat(deadRowIds()).hasSize(1);
    }
  }

  // ---------------------------------------------------------------- liveness

  @Test
  void lateAndGoneListenersAndChannelsBehindAreMarkedInTheProblemsStrip() throws Exception {
    browser.get(url);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.withMessage("the empty listener table says so")
        .until(d -> text("#listeners tbody").equals("No listener is running."));
    assertThat(browser.findElement(By.id("problems")).isDisplayed()).isFalse();

    // three listener processes of channel 'orders': heartbeats 3 s, 25 s (> 2 intervals) and 45 s (> 3) old,
    // as a kill -9'd process leaves its last one
    heartbeat("alive@1@host", "orders", 3, 12.5);
    heartbeat("stalled@2@host", "orders", 25, 42.1);
    heartbeat("killed@3@host", "orders", 45, 40.0);
    insertPending("orders", 3, 5);
    insertPending("mail", 4, 200); // nobody listens to mail
    wait.withMessage("three listeners with their states")
        .until(d -> listenerStates().size() == 3);
    assertThat(listenerStates())
        .containsEntry("alive@1@host", "live")
        .containsEntry("stalled@2@host", "late")
        .containsEntry("killed@3@host", "gone");
    assertThat(text("#listeners tr[data-listener='stalled@2@host'] td.state")).isEqualTo("late");
    assertThat(cssOf("#listeners tr[data-listener='stalled@2@host'] td.state", "color"))
        .as("late in colour")
        .isNotEqualTo(cssOf("#listeners tr[data-listener='alive@1@host'] td.state", "color"));
    assertThat(cssOf("#listeners tr[data-listener='killed@3@host'] td", "background-color"))
        .isNotEqualTo(cssOf("#listeners tr[data-listener='alive@1@host'] td", "background-color"));
    assertThat(text("#listeners tr[data-listener='killed@3@host'] td:nth-child(5)"))
        .as("a gone listener's rate is not shown as if it were working")
        .isEqualTo("-");
    assertThat(text("#channels tr[data-channel='orders'] td.rate")).as("only the live listener's rate").isEqualTo("12.5");
    assertThat(text("#channels tr[data-channel='orders'] td.listeners")).isEqualTo("1 (+1 late)");

    // mail has pending rows and no listener: behind, highlighted, and in the problems strip; orders is not
    assertThat(attr("#channels tr[data-channel='mail']", "data-behind")).isEqualTo("true");
    assertThat(attr("#channels tr[data-channel='orders']", "data-behind")).isEqualTo("false");
    assertThat(cssOf("#channels tr[data-channel='mail'] td", "background-color"))
        .isNotEqualTo(cssOf("#channels tr[data-channel='orders'] td", "background-color"));
    assertThat(browser.findElement(By.id("problems")).isDisplayed()).isTrue();
    assertThat(problems())
        .anySatisfy(p -> assertThat(p).startsWith("channel mail has 4 pending and no live listener"))
        .anySatisfy(p -> assertThat(p).startsWith("listener stalled@2@host (channel orders) is late: last heartbeat 2"))
        .anySatisfy(p -> assertThat(p).startsWith("listener killed@3@host (channel orders) is gone: last heartbeat 4"))
        .noneSatisfy(p -> assertThat(p).contains("alive@1@host"));
    Chromium.screenshot(browser, "operator-liveness");
    Chromium.docs(browser, "dashboard-liveness", null);

    // orders' oldest pending waits longer than the threshold: behind although a listener is live
    insertPending("orders", 1, 120);
    wait.withMessage("orders behind on lag")
        .until(d -> "true".equals(attr("#channels tr[data-channel='orders']", "data-behind")));
    assertThat(problems()).anySatisfy(p -> assertThat(p).startsWith("channel orders is behind: the oldest of 4 pending waits 12"));
  }

  @Test
  void aKilledListenerIsMarkedLateWithin25Seconds() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                ListenerProcessMain.class.getName(),
                db.jdbcUrlWithCredentials(),
                "doomed")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      browser.get(url + "#listeners");
      WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(60));
      wait.withMessage("the listener process live on the page")
          .until(d -> listenerStates().entrySet().stream()
              .anyMatch(e -> e.getKey().startsWith("doomed@") && e.getValue().equals("live")));
      process.destroyForcibly(); // SIGKILL: no graceful stop removes its heartbeat rows
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
      long killed = System.nanoTime();
      new WebDriverWait(browser, Duration.ofSeconds(25))
          .withMessage("marked late within 25 s of kill -9")
          .until(d -> listenerStates().entrySet().stream()
              .anyMatch(e -> e.getKey().startsWith("doomed@") && !e.getValue().equals("live")));
      assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThanOrEqualTo(Duration.ofSeconds(25));
      assertThat(problems()).anySatisfy(p -> assertThat(p).startsWith("listener doomed@").contains(" is late: "));
      Chromium.screenshot(browser, "operator-killed-listener");
    } finally {
      process.destroyForcibly();
    }
  }

  // ---------------------------------------------------------------- operator views

  @Test
  void deadLettersArePagedNewestFirstSortableAndSearchable() throws Exception {
    long[] ids = new long[60];
    for (int i = 0; i < 60; i++) {
      // dead i minutes ago: the highest id is the newest
      ids[i] = insertDeadAt("bulk", "{\"new\":{\"sku\":\"SKU-" + i + "\"}}", "java.lang.IllegalStateException: no stock " + i,
          60 - i, i % 7 + 1);
    }
    browser.get(url);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> deadRowIds().size() == 50);
    assertThat(deadRowIds().get(0)).as("newest first").isEqualTo(ids[59]);
    assertThat(deadRowIds().get(49)).isEqualTo(ids[10]);
    assertThat(text("#dead-page")).isEqualTo("page 1 of 2");
    assertThat(text("#dead-total")).isEqualTo("(60)");
    // one error with 60 different numbers in it is one group
    wait.until(d -> groups().equals(Map.of("java.lang.IllegalStateException: no stock #", "60")));
    Chromium.docs(browser, "dashboard-dead-letters", "dead-view");
    // the payload preview shows the row's fields, not the envelope
    assertThat(text("#dead tr[data-id='" + ids[59] + "'] td.preview")).isEqualTo("{\"sku\": \"SKU-59\"}");

    browser.findElement(By.id("dead-next")).click();
    wait.until(d -> deadRowIds().size() == 10);
    assertThat(deadRowIds()).containsExactly(ids[9], ids[8], ids[7], ids[6], ids[5], ids[4], ids[3], ids[2], ids[1], ids[0]);
    assertThat(browser.getCurrentUrl()).endsWith("#dead?page=1");

    // sort by attempts (descending first, ties by id)
    browser.findElement(By.cssSelector("button.sort[data-sort='attempts']")).click();
    wait.until(d -> deadRowIds().size() == 50 && deadRowIds().get(0) == ids[55]);
    assertThat(browser.getCurrentUrl()).endsWith("#dead?sort=attempts");
    browser.findElement(By.cssSelector("button.sort[data-sort='attempts']")).click();
    wait.until(d -> deadRowIds().get(0) == ids[0]);
    assertThat(browser.getCurrentUrl()).endsWith("#dead?sort=attempts&dir=asc");

    // search by payload text, by error text and by id
    search("SKU-42");
    wait.until(d -> deadRowIds().equals(List.of(ids[42])));
    search("no stock 17");
    wait.until(d -> deadRowIds().equals(List.of(ids[17])));
    search(Long.toString(ids[3])); // an id (other rows may hold the same digits in their text)
    wait.until(d -> deadRowIds().size() < 60 && deadRowIds().contains(ids[3]));
  }

  @Test
  void everyViewAndNotificationHasALinkThatOpensIt() throws Exception {
    long dead = insertDead("links", 1, "{\"new\":{\"id\":7}}", "java.lang.IllegalStateException: deep")[0];
    long waiting = insertRetrying("links", 2, 30, "java.io.IOException: smtp down");
    // a notification's link, opened in a fresh tab, shows it
    browser.get(url + "#dead/" + dead);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> browser.findElement(By.id("detail")).isDisplayed());
    assertThat(text("#detail-title")).isEqualTo("Dead notification " + dead);
    Chromium.docs(browser, "dashboard-notification", null);
    assertThat(attr("#detail-link", "href")).endsWith("#dead/" + dead);
    browser.findElement(By.id("detail-close")).click();

    browser.get(url + "#notification/" + waiting);
    wait.until(d -> browser.findElement(By.id("detail")).isDisplayed());
    assertThat(text("#detail-title")).isEqualTo("Notification " + waiting);
    assertThat(text("#detail-state")).isEqualTo("retrying");
    assertThat(text("#detail-next")).startsWith("in ");
    assertThat(browser.findElement(By.id("detail-retry")).isDisplayed()).isFalse();
    browser.findElement(By.id("detail-close")).click();

    // the retrying list: attempts, next attempt time and last error; linked from the channel's count
    browser.get(url + "#overview");
    wait.until(d -> !text("#channels tr[data-channel='links'] td.retrying").isEmpty());
    click(() -> browser.findElement(By.cssSelector("#channels tr[data-channel='links'] td.retrying a"))); // the table re-renders on refresh
    wait.until(d -> browser.getCurrentUrl().endsWith("#pending?channel=links&state=retrying") && pendingRowIds().equals(List.of(waiting)));
    Chromium.docs(browser, "dashboard-pending", "pending-view");
    assertThat(text("#pending tr[data-id='" + waiting + "'] td.next")).startsWith("in ");
    assertThat(text("#pending tr[data-id='" + waiting + "'] td.error")).isEqualTo("java.io.IOException: smtp down");
    assertThat(text("#pending tr[data-id='" + waiting + "'] td:nth-child(3)")).isEqualTo("2");

    // a filtered dead-letter view opened from its link
    long other = insertDead("other", 1, "{}", "java.lang.IllegalStateException: deep")[0];
    browser.get(url + "#dead");
    wait.until(d -> deadRowIds().contains(other));
    browser.get(url + "#dead?channel=links&q=deep");
    wait.withMessage("the filtered list with its filters shown")
        .until(d -> deadRowIds().equals(List.of(dead))
            && "links".equals(js("return document.getElementById('filter-channel').value"))
            && "deep".equals(js("return document.getElementById('filter-q').value")));
  }

  // ---------------------------------------------------------------- layout

  @Test
  void thePageFits420PixelsWithLongUnbrokenErrorsAndHasAFavicon() throws Exception {
    String longWord = "x".repeat(600);
    insertDead("layout-channel-with-a-long-name", 2, "{\"new\":{\"blob\":\"" + longWord + "\"}}",
        "java.lang.IllegalStateException: " + longWord);
    heartbeat("a-listener-with-a-rather-long-name@12345@some-host.example.internal", "layout-channel-with-a-long-name", 1, 1);
    browser.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.<String, Object>of("width", 420, "height", 900, "deviceScaleFactor", 1, "mobile", true));
    try {
      browser.get(url);
      WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
      wait.until(d -> deadRowIds().size() == 2 && !problems().isEmpty());
      assertThat(((Number) js("return window.innerWidth")).intValue()).isEqualTo(420);
      assertThat(((Number) js("return document.documentElement.scrollWidth")).intValue())
          .as("nothing sticks out of a 420 px screen")
          .isLessThanOrEqualTo(420);
      assertThat(((Number) js("return document.querySelector('#problems').getBoundingClientRect().right")).doubleValue())
          .isLessThanOrEqualTo(420);
      Chromium.screenshot(browser, "operator-420px");
      Chromium.docs(browser, "dashboard-420px", null);
    } finally {
      browser.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
    }
    // on a wide screen the long error wraps inside its cell instead of widening the table
    browser.get(url);
    new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> deadRowIds().size() == 2);
    assertThat(((Number) js("return document.documentElement.scrollWidth")).intValue())
        .isLessThanOrEqualTo(((Number) js("return window.innerWidth")).intValue());
    Object favicon =
        browser.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + " fetch('favicon.ico').then(r => r.arrayBuffer().then(b => done(r.status + ' '"
                + " + r.headers.get('content-type') + ' ' + b.byteLength)));");
    assertThat((String) favicon).startsWith("200 image/x-icon ");
    assertThat((String) js("return document.querySelector(\"link[rel='icon']\").href")).isEqualTo(url + "favicon.ico");
  }

  // ---------------------------------------------------------------- helpers

  private void enterToken(String token) {
    WebElement box = browser.findElement(By.id("token"));
    box.clear();
    box.sendKeys(token);
    browser.findElement(By.id("token-submit")).click();
  }

  private void search(String text) {
    WebElement box = browser.findElement(By.id("filter-q"));
    box.clear();
    box.sendKeys(text);
  }

  @SuppressWarnings("unchecked")
  private List<Boolean> writeButtonsEnabled() {
    return (List<Boolean>) js("return [...document.querySelectorAll('button.write')].map(b => !b.disabled);");
  }

  @SuppressWarnings("unchecked")
  private Map<String, String> groups() {
    return (Map<String, String>)
        js("const o = {}; for (const r of document.querySelectorAll('#group-table tbody tr[data-group]'))"
            + " o[r.dataset.group] = r.querySelector('td.count').textContent; return o;");
  }

  @SuppressWarnings("unchecked")
  private Map<String, String> listenerStates() {
    return (Map<String, String>)
        js("const o = {}; for (const r of document.querySelectorAll('#listeners tbody tr[data-listener]'))"
            + " o[r.dataset.listener] = r.dataset.state; return o;");
  }

  @SuppressWarnings("unchecked")
  private List<String> problems() {
    return (List<String>) js("return [...document.querySelectorAll('#problem-list li')].map(l => l.textContent);");
  }

  @SuppressWarnings("unchecked")
  private List<Long> deadRowIds() {
    return ((List<String>) js("return [...document.querySelectorAll('#dead tbody tr')].map(r => r.dataset.id);"))
        .stream()
        .map(Long::parseLong)
        .toList();
  }

  @SuppressWarnings("unchecked")
  private List<Long> pendingRowIds() {
    return ((List<String>) js("return [...document.querySelectorAll('#pending tbody tr')].map(r => r.dataset.id);"))
        .stream()
        .map(Long::parseLong)
        .toList();
  }

  private String text(String css) {
    return (String) js("const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css);
  }

  private String attr(String css, String name) {
    return (String) js("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
        css, name);
  }

  private String cssOf(String css, String property) {
    return (String) js("return getComputedStyle(document.querySelector(arguments[0]))[arguments[1]];", css, property);
  }

  private String body(String attribute) {
    return browser.findElement(By.tagName("body")).getAttribute(attribute);
  }

  private String mode() {
    return (String) js("return document.getElementById('mode').dataset.mode;");
  }

  private String notice() {
    return browser.findElement(By.id("notice")).getText();
  }

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

  private void confirm(String text) {
    new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> browser.findElement(By.id("confirm")).isDisplayed());
    assertThat(browser.findElement(By.id("confirm-text")).getText()).isEqualTo(text);
    browser.findElement(By.id("confirm-yes")).click();
  }

  private Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  private void heartbeat(String listener, String channel, int secondsAgo, double rate) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into pgpubsub_listener_stats(listener, channel, processed, rate_per_second, heartbeat_at)"
                    + " values (?, ?, 100, ?, now() - ? * interval '1 second')")) {
      ps.setString(1, listener);
      ps.setString(2, channel);
      ps.setDouble(3, rate);
      ps.setInt(4, secondsAgo);
      ps.executeUpdate();
    }
  }

  private long[] insertDead(String channel, int n, String payload, String error) throws SQLException {
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = insertDeadAt(channel, payload, error, 1, 5);
    }
    return ids;
  }

  private long insertDeadAt(String channel, String payload, String error, int minutesAgo, int attempts)
      throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into pgpubsub_notification(channel, payload, attempts, last_error, dead_at, created_at)"
                    + " values (?, ?::jsonb, ?, ?, now() - ? * interval '1 minute', now() - interval '2 hours')"
                    + " returning id")) {
      ps.setString(1, channel);
      ps.setString(2, payload);
      ps.setInt(3, attempts);
      ps.setString(4, error);
      ps.setInt(5, minutesAgo);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private long insertRetrying(String channel, int attempts, int nextInSeconds, String error) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into pgpubsub_notification(channel, payload, attempts, last_error, next_attempt_at)"
                    + " values (?, '{}', ?, ?, now() + ? * interval '1 second') returning id")) {
      ps.setString(1, channel);
      ps.setInt(2, attempts);
      ps.setString(3, error);
      ps.setInt(4, nextInSeconds);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private void insertPending(String channel, int n, int secondsAgo) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into pgpubsub_notification(channel, payload, created_at) values (?, '{}', now() - ? * interval '1 second')")) {
      for (int i = 0; i < n; i++) {
        ps.setString(1, channel);
        ps.setInt(2, secondsAgo);
        ps.executeUpdate();
      }
    }
  }

  private String query(String sql) throws SQLException {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
