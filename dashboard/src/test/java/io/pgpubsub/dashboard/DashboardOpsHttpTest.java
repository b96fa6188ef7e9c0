package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.Listener;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Notifier;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The operator's three last views of issue 28 through the JSON API, against real listeners: the attempt history
 * of a notification (kept by the listeners, bounded, surviving a retry), listener processes grouped with their
 * workers, uptime and version, and pausing and resuming a channel (a write: token, CSRF, audit log) that every
 * listener honours.
 */
@PostgresTest
@Timeout(90)
class DashboardOpsHttpTest {

  static final String TOKEN = "ops-token";
  static DashboardServer server;
  static String base;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  public record OpsJob(int n) {}

  public record OpsControl(int n) {}

  public record OpsFailing(int n) {}

  private final TestDatabase db;

  DashboardOpsHttpTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void start(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    Dashboard dashboard =
        Dashboard.builder(db.dataSource()).token(TOKEN).channels(List.of("ops_jobs", "ops_control")).historyInterval(null).build();
    server = DashboardServer.start(dashboard, new InetSocketAddress("127.0.0.1", 0));
    base = server.url();
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void aPauseThroughTheDashboardHoldsTheListenersUntilTheResume() throws Exception {
    AtomicInteger jobs = new AtomicInteger();
    AtomicInteger controls = new AtomicInteger();
    ChannelDefinition opsJobs = DashboardBrowserTest.plain("ops_jobs", OpsJob.class, (t, inv) -> jobs.incrementAndGet());
    ChannelDefinition opsControl =
        DashboardBrowserTest.plain("ops_control", OpsControl.class, (t, inv) -> controls.incrementAndGet());
    Notifier notifier = Notifier.create("public", List.of(opsJobs, opsControl));

    assertThat(post("api/channel/pause", "{\"channel\":\"ops_jobs\"}", null).statusCode()).as("no token").isEqualTo(403);
    assertThat(post("api/channel/pause", "{\"channel\":\"nope\"}", TOKEN).statusCode()).as("unknown channel").isEqualTo(400);
    assertThat(post("api/channel/pause", "{}", TOKEN).statusCode()).as("no channel").isEqualTo(400);
    HttpResponse<String> paused = post("api/channel/pause", "{\"channel\":\"ops_jobs\"}", TOKEN);
    assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
    assertThat(json.readTree(paused.body()).get("changed").asInt()).isEqualTo(1);
    JsonNode overview = getJson("api/overview");
    JsonNode channel = find(overview.get("channels"), "channel", "ops_jobs");
    assertThat(channel.get("paused").asBoolean()).isTrue();
    assertThat(channel.get("pausedBy").asText()).isNotBlank();
    assertThat(overview.get("problems").toString()).contains("channel ops_jobs is paused");
    assertThat(find(overview.get("channels"), "channel", "ops_control").get("paused").asBoolean()).isFalse();
    assertThat(getJson("api/audit").get("entries").get(0).get("action").asText()).isEqualTo("pause");

    try (Listener listener =
        Listener.builder()
            .jdbcUrl(db.jdbcUrl())
            .user(db.user())
            .password(db.password())
            .name("ops-http")
            .channelDefinitions(List.of(opsJobs, opsControl))
            .build()
            .start()) {
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        for (int i = 0; i < 5; i++) {
          notifier.send(c, new OpsJob(i));
        }
        c.commit();
        notifier.send(c, new OpsControl(1));
        c.commit();
      }
      await("the control notification, claimed after the paused ones were written", () -> controls.get() == 1);
      assertThat(count("select count(*) from pgpubsub_notification where channel = 'ops_jobs'"))
          .as("the paused channel's notifications wait")
          .isEqualTo(5);
      assertThat(jobs.get()).isZero();

      HttpResponse<String> resumed = post("api/channel/resume", "{\"channel\":\"ops_jobs\"}", TOKEN);
      assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
      await("the waiting notifications processed after the resume", () -> jobs.get() == 5);
      assertThat(find(getJson("api/overview").get("channels"), "channel", "ops_jobs").get("paused").asBoolean()).isFalse();
      JsonNode audit = getJson("api/audit").get("entries");
      assertThat(audit.get(0).get("action").asText()).isEqualTo("resume");
      assertThat(audit.get(0).get("filter").get("channel").asText()).isEqualTo("ops_jobs");
    }
  }

  @Test
  void theDetailViewShowsEachFailedAttemptAndARetryKeepsThem() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ChannelDefinition failing =
        DashboardBrowserTest.plain("ops_failing", OpsFailing.class, (t, inv) -> {
          throw new IllegalStateException("failure " + calls.incrementAndGet() + "\nsecond line");
        });
    Notifier notifier = Notifier.create("public", List.of(failing));
    long id;
    try (Connection c = db.connect()) {
      id = notifier.send(c, new OpsFailing(1));
    }
    try (Listener listener =
        Listener.builder()
            .jdbcUrl(db.jdbcUrl())
            .user(db.user())
            .password(db.password())
            .name("ops-failing")
            .channelDefinitions(List.of(failing))
            .retryPolicy(RetryPolicy.exponential(2, Duration.ofMillis(5), Duration.ofMillis(5)))
            .build()
            .start()) {
      await("dead after 2 attempts", () -> get("api/dead/" + id).statusCode() == 200);
      JsonNode history = getJson("api/dead/" + id).get("attemptHistory");
      assertThat(history).hasSize(2);
      assertThat(history.get(0).get("attempt").asInt()).isEqualTo(2);
      assertThat(history.get(0).get("error").asText()).startsWith("java.lang.IllegalStateException: failure 2\nsecond line");
      assertThat(history.get(0).get("listener").asText()).startsWith("ops-failing@");
      assertThat(history.get(1).get("attempt").asInt()).isEqualTo(1);

      assertThat(post("api/dead/retry", "{\"ids\":[" + id + "]}", TOKEN).statusCode()).isEqualTo(200);
      await("dead again after the retry, with its 2 new attempts",
          () -> get("api/dead/" + id).statusCode() == 200 && getJson("api/dead/" + id).get("attemptHistory").size() == 4);
      JsonNode after = getJson("api/dead/" + id).get("attemptHistory");
      assertThat(after.get(0).get("error").asText()).startsWith("java.lang.IllegalStateException: failure 4");
      assertThat(after.get(3).get("error").asText()).as("the retry kept the first attempts").startsWith("java.lang.IllegalStateException: failure 1");
      assertThat(getJson("api/audit?id=" + id).get("entries").get(0).get("action").asText()).isEqualTo("retry");
    }
  }

  @Test
  void listenersAreGroupedByProcessWithWorkersUptimeAndVersion() throws Exception {
    db.execute("delete from pgpubsub_listener_stats");
    db.execute(
        "insert into pgpubsub_listener_stats(listener, channel, processed, rate_per_second, heartbeat_at,"
            + " process_started_at, workers, busy_workers, version) values"
            + " ('billing@100@host-a', 'orders', 10, 1.0, now(), now() - interval '2 hours', 4, 1, '1.2.3'),"
            + " ('billing@100@host-a', 'mail', 10, 1.0, now(), now() - interval '2 hours', 4, 1, '1.2.3'),"
            + " ('audit@100@host-a', 'orders', 10, 1.0, now(), now() - interval '2 hours', 2, 2, '1.2.3'),"
            + " ('old@200@host-b', 'orders', 10, 1.0, now(), null, null, null, null)");
    JsonNode processes = getJson("api/overview").get("processes");
    assertThat(processes).hasSize(2);
    JsonNode a = find(processes, "process", "100@host-a");
    assertThat(a.get("workers").asInt()).as("both listener instances of the process").isEqualTo(6);
    assertThat(a.get("busyWorkers").asInt()).isEqualTo(3);
    assertThat(a.get("version").asText()).isEqualTo("1.2.3");
    assertThat(a.get("uptimeSeconds").asDouble()).isBetween(7100.0, 7300.0);
    assertThat(a.get("state").asText()).isEqualTo("live");
    assertThat(a.get("listeners")).hasSize(2);
    JsonNode billing = find(a.get("listeners"), "name", "billing@100@host-a");
    assertThat(billing.get("channels").toString()).isEqualTo("[\"mail\",\"orders\"]");
    assertThat(billing.get("workers").asInt()).isEqualTo(4);
    JsonNode old = find(processes, "process", "200@host-b");
    assertThat(old.get("workers").isNull()).as("a listener of an older version tells no workers").isTrue();
    assertThat(old.get("version").isNull()).isTrue();
    List<String> rowsProcess = new ArrayList<>();
    getJson("api/overview").get("listeners").forEach(l -> rowsProcess.add(l.get("process").asText()));
    assertThat(rowsProcess).containsOnly("100@host-a", "200@host-b");
    db.execute("delete from pgpubsub_listener_stats");
  }

  private static JsonNode find(JsonNode array, String field, String value) {
    for (JsonNode n : array) {
      if (n.get(field).asText().equals(value)) {
        return n;
      }
    }
    throw new AssertionError("no " + field + " " + value + " in " + array);
  }

  private long count(String sql) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void await(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!Boolean.TRUE.equals(condition.call())) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode getJson(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  private static HttpResponse<String> post(String path, String body, String token) throws Exception {
    HttpResponse<String> page = get("");
    String cookie = page.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
    Matcher csrf = Pattern.compile("name=\"pgpubsub-csrf\" content=\"([^\"]+)\"").matcher(page.body());
    assertThat(csrf.find()).isTrue();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Content-Type", "application/json")
            .header("Cookie", cookie)
            .header("X-CSRF-Token", csrf.group(1))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("X-Pgpubsub-Token", token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
