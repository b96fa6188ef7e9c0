package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Issue 28's outage story, charted from the tables: writes go on at 2/s while every listener of the channel
 * is stopped for 2 minutes. Five minutes are simulated with a settable sample time (the sampler takes each
 * sample at a given instant; rows carry matching timestamps), then the page is opened in real headless
 * Chromium: inflow stays at 2/s throughout, processed shows a gap where no listener reported, and the lag
 * rises during the outage.
 */
@PostgresTest
@Timeout(180)
class DashboardHistoryBrowserTest {

  static ChromeDriver browser;
  static DashboardServer server;

  @BeforeAll
  static void start() throws Exception {
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

  @Test
  void anOutageShowsAsRisingLagSteadyInflowAndAGapInProcessed(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    HistorySampler sampler =
        new HistorySampler(db.dataSource(), "public", Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofDays(7));
    Instant base;
    try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery("select now()")) {
      rs.next();
      base = rs.getTimestamp(1).toInstant().minusSeconds(300);
    }
    for (int k = 0; k < 30; k++) {
      Instant at = base.plusSeconds(10L * k);
      boolean listenerUp = k < 10 || k >= 22; // steps 10..21: 2 minutes with no listener
      try (Connection c = db.connect()) {
        try (PreparedStatement ps =
            c.prepareStatement("insert into pgpubsub_notification(channel, payload, created_at) values ('orders', '{}', ?)")) {
          for (int i = 0; i < 20; i++) {
            ps.setTimestamp(1, Timestamp.from(at.minusSeconds(5)));
            ps.addBatch();
          }
          ps.executeBatch();
        }
        if (listenerUp) { // the listener processes the backlog and reports it, as its heartbeat does
          int n;
          try (PreparedStatement ps =
              c.prepareStatement("delete from pgpubsub_notification where channel = 'orders' and dead_at is null")) {
            n = ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "insert into pgpubsub_stats_history(listener, channel, at, seconds, processed, rate_per_second)"
                      + " values ('worker@1@host', 'orders', ?, 10, ?, ?)")) {
            ps.setTimestamp(1, Timestamp.from(at.minusSeconds(1)));
            ps.setLong(2, n);
            ps.setDouble(3, n / 10.0);
            ps.executeUpdate();
          }
        }
      }
      assertThat(sampler.sample(at)).as("sample " + k).isTrue();
    }
    assertThat(sampler.sample(base.plusSeconds(295))).as("a second sample within the interval").isFalse();

    // a dashboard whose own sampler would sample at most hourly: the page shows the samples above
    Dashboard dashboard =
        Dashboard.builder(db.dataSource()).refresh(Duration.ofSeconds(1)).historyInterval(Duration.ofHours(1)).build();
    server = DashboardServer.start(dashboard, new InetSocketAddress("127.0.0.1", 0));
    browser.get(server.url() + "#history");
    WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    wait.withMessage("the four charts drawn from the samples")
        .until(d -> series("lag-chart").size() >= 20 && series("inflow-chart").size() >= 20);
    assertThat(browser.findElement(By.id("history-source")).getText()).isEmpty();

    List<Double> inflow = series("inflow-chart");
    List<Double> processed = series("throughput-chart");
    List<Double> lag = series("lag-chart");
    List<Double> backlog = series("backlog-chart");
    // inflow: 2/s throughout, outage included (only the very first sample has nothing to compare with)
    List<Double> known = inflow.subList(firstNonNull(inflow), inflow.size());
    assertThat(known).as("inflow " + inflow).doesNotContainNull().allSatisfy(v -> assertThat(v).isBetween(1.99, 2.01));
    // processed: values before and after, a gap of at least 90 s (6 buckets of 15 s) in between
    int gap = longestNullRun(processed);
    assertThat(gap).as("processed " + processed).isGreaterThanOrEqualTo(6);
    assertThat(processed.get(firstNonNull(processed))).isBetween(1.99, 2.01);
    assertThat(processed.get(processed.size() - 1)).as("after the outage").isNotNull();
    assertThat(processed.stream().filter(v -> v != null).mapToDouble(Double::doubleValue).max().orElse(0))
        .as("the catch-up after the outage")
        .isGreaterThan(10);
    // lag: 0 before the outage, rising during it to nearly 2 minutes, back to 0 after
    assertThat(lag.get(0)).isZero();
    assertThat(lag.stream().mapToDouble(Double::doubleValue).max().orElse(0)).as("lag " + lag).isBetween(100.0, 120.0);
    assertThat(lag.get(lag.size() - 1)).isZero();
    int peak = lag.indexOf(lag.stream().max(Double::compare).orElseThrow());
    for (int i = peak; i > 0 && lag.get(i - 1) > 0; i--) {
      assertThat(lag.get(i - 1)).as("rising towards the peak: " + lag).isLessThanOrEqualTo(lag.get(i));
    }
    assertThat(backlog.stream().mapToDouble(Double::doubleValue).max().orElse(0)).isGreaterThanOrEqualTo(220);
    Chromium.screenshot(browser, "history-outage");
    Chromium.docs(browser, "dashboard-history", "history-view");

    // the 24 h range: the same samples, downsampled into fewer points
    browser.findElement(By.cssSelector("button.range[data-range='24h']")).click();
    wait.until(d -> browser.getCurrentUrl().endsWith("#history?range=24h") && series("lag-chart").size() < 10);
    assertThat(series("lag-chart")).isNotEmpty();
  }

  private static int firstNonNull(List<Double> values) {
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i) != null) {
        return i;
      }
    }
    return values.size();
  }

  private static int longestNullRun(List<Double> values) {
    int best = 0;
    int run = 0;
    for (Double v : values) {
      run = v == null ? run + 1 : 0;
      best = Math.max(best, run);
    }
    return best;
  }

  /** The y values of channel orders in a chart, oldest first (null where Chart.js draws a gap). */
  @SuppressWarnings("unchecked")
  private static List<Double> series(String chart) {
    Object data =
        ((JavascriptExecutor) browser)
            .executeScript(
                "const c = typeof Chart === 'undefined' ? null : Chart.getChart(document.getElementById(arguments[0]));"
                    + " const s = c && c.data.datasets.find(d => d.label === 'orders');"
                    + " return s ? s.data.map(p => p.y) : [];",
                chart);
    List<Double> out = new ArrayList<>();
    for (Object o : (List<Object>) data) {
      out.add(o == null ? null : ((Number) o).doubleValue());
    }
    return out;
  }
}
