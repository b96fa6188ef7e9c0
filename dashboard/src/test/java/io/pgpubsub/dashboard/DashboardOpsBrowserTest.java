package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
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
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The last operator views of issue 28 in headless Chromium: a notification's failed attempts in its detail
 * view, listener processes grouped with their workers, uptime and version, and pausing and resuming a channel
 * from the channels table (after the token is verified; recorded in the actions).
 */
@PostgresTest
@Timeout(120)
class DashboardOpsBrowserTest {

  static final String TOKEN = "ops-browser-token";

  static ChromeDriver browser;
  static DashboardServer server;
  static String url;

  private final TestDatabase db;

  DashboardOpsBrowserTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void start(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    Dashboard dashboard =
        Dashboard.builder(db.dataSource()).token(TOKEN).refresh(Duration.ofSeconds(1)).historyInterval(null).build();
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

  @BeforeEach
  void emptyTables() throws Exception {
    db.execute("delete from pgpubsub_notification");
    db.execute("delete from pgpubsub_listener_stats");
    db.execute("delete from pgpubsub_attempt");
    db.execute("delete from pgpubsub_channel_pause");
    browser.manage().window().setSize(new Dimension(1400, 1500));
    browser.get(url);
    js("sessionStorage.clear()");
  }

  @AfterEach
  void screenshot(TestInfo info) throws Exception {
    Chromium.screenshot(browser, "ops-" + info.getTestMethod().orElseThrow().getName());
  }

  @Test
  void theDetailViewListsEveryFailedAttempt() throws Exception {
    long id =
        Long.parseLong(
            query(
                "insert into pgpubsub_notification(channel, payload, attempts, last_error, dead_at)"
                    + " values ('invoices', '{\"new\":{\"n\":1}}', 3, 'java.io.IOException: third', now()) returning id"));
    db.execute(
        "insert into pgpubsub_attempt(notification_id, at, attempt, error, listener) values"
            + " (" + id + ", now() - interval '3 minutes', 1, 'java.io.IOException: first\n\tat a.B.c(B.java:1)', 'billing@1@host'),"
            + " (" + id + ", now() - interval '2 minutes', 2, 'java.net.SocketTimeoutException: second', 'billing@1@host'),"
            + " (" + id + ", now() - interval '1 minute', 3, 'java.io.IOException: third', 'billing@2@host')");
    browser.get(url + "#dead/" + id);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.withMessage("the detail with its attempts")
        .until(d -> browser.findElement(By.id("detail")).isDisplayed()
            && js("return document.querySelectorAll('#detail-attempt-history li.attempt').length").equals(3L));
    @SuppressWarnings("unchecked")
    List<String> attempts =
        (List<String>) js("return [...document.querySelectorAll('#detail-attempt-history li.attempt')].map(l => l.dataset.attempt + ' ' + l.querySelector('pre').textContent);");
    assertThat(attempts)
        .containsExactly(
            "3 java.io.IOException: third",
            "2 java.net.SocketTimeoutException: second",
            "1 java.io.IOException: first\n\tat a.B.c(B.java:1)");
    assertThat(text("#detail-attempt-history li.attempt .when")).startsWith("attempt 3 failed at ").endsWith(" in billing@2@host");
  }

  @Test
  void listenerProcessesAreGroupedWithTheirWorkersUptimeAndVersion() throws Exception {
    db.execute(
        "insert into pgpubsub_listener_stats(listener, channel, processed, rate_per_second, heartbeat_at,"
            + " process_started_at, workers, busy_workers, version) values"
            + " ('billing@100@host-a', 'orders', 10, 1.0, now(), now() - interval '3 hours', 4, 1, '1.2.3'),"
            + " ('billing@100@host-a', 'mail', 10, 1.0, now(), now() - interval '3 hours', 4, 1, '1.2.3'),"
            + " ('audit@100@host-a', 'orders', 10, 1.0, now(), now() - interval '3 hours', 2, 2, '1.2.3'),"
            + " ('shipping@200@host-b', 'orders', 10, 1.0, now(), now() - interval '5 minutes', 8, 0, '1.2.4')");
    browser.get(url + "#listeners");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.withMessage("two process rows").until(d -> js("return document.querySelectorAll('#listeners tr.process').length").equals(2L));
    assertThat(text("#listeners tr[data-process='100@host-a']"))
        .isEqualTo("process 100@host-a · live · up 3.0 h · version 1.2.3 · 6 workers, 3 busy");
    assertThat(text("#listeners tr[data-process='200@host-b']"))
        .isEqualTo("process 200@host-b · live · up 5.0 min · version 1.2.4 · 8 workers, 0 busy");
    @SuppressWarnings("unchecked")
    List<String> order =
        (List<String>) js("return [...document.querySelectorAll('#listeners tbody tr')].map(r => r.dataset.process || (r.dataset.listener + ' ' + r.children[1].textContent));");
    assertThat(order)
        .as("each process followed by its listeners' channels")
        .containsExactly(
            "100@host-a",
            "audit@100@host-a orders",
            "billing@100@host-a mail",
            "billing@100@host-a orders",
            "200@host-b",
            "shipping@200@host-b orders");
    Chromium.docs(browser, "dashboard-processes", "listeners-view");
  }

  @Test
  void aChannelIsPausedAndResumedFromTheChannelsTable() throws Exception {
    db.execute("insert into pgpubsub_notification(channel, payload) values ('orders', '{}'), ('mail', '{}')");
    browser.get(url);
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.until(d -> !text("#channels tr[data-channel='orders'] td.claiming").isEmpty());
    assertThat((Boolean) js("return document.querySelector(\"#channels tr[data-channel='orders'] button.pause\").disabled"))
        .as("locked before the token is verified")
        .isTrue();
    WebElement box = browser.findElement(By.id("token"));
    box.sendKeys(TOKEN);
    browser.findElement(By.id("token-submit")).click();
    wait.until(d -> "writes".equals(js("return document.getElementById('mode').dataset.mode;")));
    click("#channels tr[data-channel='orders'] button.pause");
    confirm("Pause channel orders? Every listener process stops claiming its notifications within about a second; writes go on and wait.");
    wait.withMessage("orders paused").until(d -> "true".equals(attr("#channels tr[data-channel='orders']", "data-paused")));
    assertThat(text("#channels tr[data-channel='orders'] td.claiming")).isEqualTo("pausedResume");
    assertThat(attr("#channels tr[data-channel='mail']", "data-paused")).isEqualTo("false");
    assertThat(query("select paused_by from pgpubsub_channel_pause where channel = 'orders'")).isNotBlank();
    wait.until(d -> problems().stream().anyMatch(p -> p.startsWith("channel orders is paused by ")));
    wait.until(d -> "pause".equals(attr("#audit tbody tr", "data-action")));
    assertThat(text("#audit tbody tr td.what")).isEqualTo("channel orders");
    Chromium.docs(browser, "dashboard-paused", null);

    click("#channels tr[data-channel='orders'] button.resume");
    confirm("Resume channel orders? Its listeners claim its waiting notifications again.");
    wait.withMessage("orders resumed").until(d -> "false".equals(attr("#channels tr[data-channel='orders']", "data-paused")));
    assertThat(query("select count(*) from pgpubsub_channel_pause")).isEqualTo("0");
    wait.until(d -> "resume".equals(attr("#audit tbody tr", "data-action")));
  }

  // ---------------------------------------------------------------- helpers

  private void click(String css) {
    for (int attempt = 1; ; attempt++) {
      try {
        browser.findElement(By.cssSelector(css)).click();
        return;
      } catch (org.openqa.selenium.StaleElementReferenceException e) {
        if (attempt == 5) {
          throw e; // the table re-renders on every refresh
        }
      }
    }
  }

  private void confirm(String text) {
    new WebDriverWait(browser, Duration.ofSeconds(10)).until(d -> browser.findElement(By.id("confirm")).isDisplayed());
    assertThat(browser.findElement(By.id("confirm-text")).getText()).isEqualTo(text);
    browser.findElement(By.id("confirm-yes")).click();
  }

  @SuppressWarnings("unchecked")
  private List<String> problems() {
    return (List<String>) js("return [...document.querySelectorAll('#problem-list li')].map(l => l.textContent);");
  }

  private Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  private String text(String css) {
    return (String) js("const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css);
  }

  private String attr(String css, String name) {
    return (String) js("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", css, name);
  }

  private String query(String sql) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
