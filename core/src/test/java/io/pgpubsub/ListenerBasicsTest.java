package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static io.pgpubsub.Fixtures.inTransaction;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
@Timeout(60)
class ListenerBasicsTest {

  public record Job(long n, String text, Instant at) {}

  public record Ping(String tenant, int n) {}

  public record Pong(int n) {}

  /** An instance listener, as the processor sees a {@code @ChannelListener} method on a class. */
  public static final class JobListeners {
    final List<Job> seen = new CopyOnWriteArrayList<>();

    public void onJob(Job job, Delivery delivery, Connection connection) throws Exception {
      try (PreparedStatement ps = connection.prepareStatement("insert into effects(n, notification) values (?, ?)")) {
        ps.setLong(1, job.n());
        ps.setLong(2, delivery.id());
        ps.executeUpdate();
      }
      seen.add(job);
    }
  }

  private final TestDatabase db;

  ListenerBasicsTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("create table effects(n bigint primary key, notification bigint not null)");
  }

  private static ChannelDefinition jobChannel(String name) {
    return plain(
        name,
        Job.class,
        true,
        new ListenerDefinition(
            "io.pgpubsub.ListenerBasicsTest.JobListeners#onJob(Job,Delivery,Connection)",
            ListenerKind.PLAIN,
            JobListeners.class,
            false,
            (target, inv) ->
                ((JobListeners) target)
                    .onJob(inv.newValue(Job.class), inv.delivery(), inv.resource(Connection.class))));
  }

  @Test
  void plainLockableRecordsAreDeliveredTypedOldestFirstAndRemovedWithTheCallbacksWork() throws Exception {
    db.execute("truncate effects");
    ChannelDefinition jobs = jobChannel("jobs");
    JobListeners instance = new JobListeners();
    Notifier notifier = Notifier.create("public", List.of(jobs));
    Instant at = Instant.parse("2024-05-06T07:08:09.123456Z");
    // stored before the listener starts: recovered on start
    inTransaction(db, c -> {
      for (int i = 1; i <= 150; i++) {
        notifier.send(c, new Job(i, "job " + i, at));
      }
    });
    try (Listener l =
        Fixtures.listener(db, jobs).workers(1).batchSize(40).listenerFactory(t -> instance).build().start()) {
      inTransaction(db, c -> {
        for (int i = 151; i <= 200; i++) {
          notifier.send(c, new Job(i, "job " + i, at));
        }
      });
      await(Duration.ofSeconds(20), "200 jobs", () -> count(db, "select count(*) from effects") == 200);
      assertThat(l.isRunning()).isTrue();
    }
    assertThat(instance.seen).hasSize(200);
    List<Long> order = instance.seen.stream().map(Job::n).toList();
    List<Long> sorted = new ArrayList<>(order);
    Collections.sort(sorted);
    assertThat(order).as("one worker processes oldest first").isEqualTo(sorted);
    assertThat(instance.seen.get(0)).isEqualTo(new Job(1, "job 1", at));
    assertThat(count(db, "select count(*) from pgpubsub_notification")).isZero();
    assertThat(count(db, "select count(*) from effects e where e.notification <= 0")).isZero();
  }

  /**
   * The claim reads created_at as microseconds since the epoch (not as a timestamptz): Delivery.createdAt is
   * still the stored instant to the microsecond, before 1970 too, and a failed attempt puts the row back with
   * it unchanged.
   */
  @Test
  void deliveryCreatedAtIsTheStoredInstantToTheMicrosecondAndSurvivesARetry() throws Exception {
    Map<Long, List<Instant>> seen = new java.util.concurrent.ConcurrentHashMap<>();
    ChannelDefinition pings =
        plain("created_at_pings", Ping.class, true, plainListener("Pings#created(Ping,Delivery)", (t, inv) -> {
          Ping p = inv.newValue(Ping.class);
          seen.computeIfAbsent((long) p.n(), k -> new CopyOnWriteArrayList<>()).add(inv.delivery().createdAt());
          if (p.n() == 2 && inv.delivery().attempt() == 1) {
            throw new IllegalStateException("first attempt of ping 2 fails");
          }
        }));
    Notifier notifier = Notifier.create("public", List.of(pings));
    Map<Integer, Instant> stored =
        Map.of(
            1, Instant.parse("2026-12-01T20:50:24.123456Z"),
            2, Instant.parse("1969-12-31T23:59:59.999999Z"),
            3, Instant.parse("2001-02-03T04:05:06Z"));
    inTransaction(db, c -> {
      for (Map.Entry<Integer, Instant> e : stored.entrySet()) {
        notifier.send(c, new Ping("t", e.getKey()));
        try (PreparedStatement ps =
            c.prepareStatement(
                "update pgpubsub_notification set created_at = ? where id = (select max(id) from pgpubsub_notification)")) {
          ps.setObject(1, java.time.OffsetDateTime.ofInstant(e.getValue(), java.time.ZoneOffset.UTC));
          ps.executeUpdate();
        }
      }
    });
    try (Listener l =
        Fixtures.listener(db, pings)
            .retryPolicy(RetryPolicy.exponential(3, Duration.ofMillis(10), Duration.ofMillis(20)))
            .build()
            .start()) {
      await(Duration.ofSeconds(20), "3 pings, ping 2 twice",
          () -> seen.size() == 3 && seen.get(2L).size() == 2);
    }
    for (Map.Entry<Integer, Instant> e : stored.entrySet()) {
      assertThat(seen.get((long) e.getKey())).as("ping " + e.getKey()).containsOnly(e.getValue());
    }
  }

  @Test
  void aRolledBackWriteNeverNotifies() throws Exception {
    ChannelDefinition jobs = jobChannel("jobs_rb");
    Notifier notifier = Notifier.create("public", List.of(jobs));
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      notifier.send(c, new Job(-1, "never", Instant.now()));
      c.rollback();
    }
    assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'jobs_rb'")).isZero();
  }

  @Test
  void aNotifyWakesTheListenerWithoutPolling() throws Exception {
    CountDownLatch got = new CountDownLatch(1);
    ChannelDefinition pings =
        plain("pings", Ping.class, true, plainListener("Pings#on(Ping)", (t, inv) -> got.countDown()));
    Notifier notifier = Notifier.create("public", List.of(pings));
    try (Listener l = Fixtures.listener(db, pings).pollInterval(Duration.ofHours(1)).build().start()) {
      // give the workers their first (empty) scan, then notify: only LISTEN/NOTIFY can deliver it in time
      await(Duration.ofSeconds(10), "listener idle", () -> l.isRunning());
      long t0 = System.nanoTime();
      inTransaction(db, c -> notifier.send(c, new Ping("a", 1)));
      assertThat(got.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }
  }

  @Test
  void notifyInsideACallbackIsProcessedAfterThatCallbacksCommit() throws Exception {
    List<Integer> pongs = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(3);
    ChannelDefinition[] holder = new ChannelDefinition[2];
    holder[1] =
        plain("pongs", Pong.class, true, plainListener("Pongs#on(Pong)", (t, inv) -> {
          pongs.add(inv.newValue(Pong.class).n());
          done.countDown();
        }));
    Notifier[] notifier = new Notifier[1];
    holder[0] =
        plain("pings83", Ping.class, true, plainListener("Pings#on(Ping,Connection)", (t, inv) ->
            notifier[0].send(inv.resource(Connection.class), new Pong(inv.newValue(Ping.class).n()))));
    notifier[0] = Notifier.create("public", List.of(holder));
    try (Listener l = Fixtures.listener(db, holder).build().start()) {
      inTransaction(db, c -> {
        for (int i = 1; i <= 3; i++) {
          notifier[0].send(c, new Ping("x", i));
        }
      });
      assertThat(done.await(20, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(pongs).containsExactlyInAnyOrder(1, 2, 3);
  }

  @Test
  void contextTravelsToTheCallbackAndPayloadFiltersSplitTenants() throws Exception {
    List<String> a = new CopyOnWriteArrayList<>();
    List<String> b = new CopyOnWriteArrayList<>();
    List<Map<String, Object>> contexts = new CopyOnWriteArrayList<>();
    ChannelDefinition forA =
        plain("tenants", Ping.class, true, plainListener("A#on", (t, inv) -> {
          a.add(inv.newValue(Ping.class).tenant());
          contexts.add(inv.delivery().context());
        }));
    ChannelDefinition forB =
        plain("tenants", Ping.class, true, plainListener("B#on", (t, inv) -> b.add(inv.newValue(Ping.class).tenant())));
    Notifier notifier = Notifier.create("public", List.of(forA));
    try (Listener la = Fixtures.listener(db, forA).payloadFilter("{\"context\": {\"tenant\": \"a\"}}").build().start();
        Listener lb = Fixtures.listener(db, forB).payloadFilter("{\"context\":{\"tenant\":\"b\"}}").build().start()) {
      for (String tenant : List.of("a", "b", "a", "b", "b")) {
        inTransaction(db, c -> {
          NotificationContext.set(c, Map.of("tenant", tenant, "user", 42));
          notifier.send(c, new Ping(tenant, 0));
        });
      }
      await(Duration.ofSeconds(20), "5 pings", () -> a.size() + b.size() == 5);
    }
    assertThat(a).containsOnly("a").hasSize(2);
    assertThat(b).containsOnly("b").hasSize(3);
    assertThat(contexts.get(0)).containsEntry("tenant", "a").containsEntry("user", 42);
    try (Connection c = db.connect()) {
      assertThatThrownBy(() -> NotificationContext.set(c, Map.of("x", 1)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("auto-commit");
    }
  }

  @Test
  void configurationErrorsNameWhatIsWrong() {
    ChannelDefinition jobs = jobChannel("jobs_cfg");
    assertThatThrownBy(() -> Fixtures.listener(db, jobs).channels("nope").build())
        .hasMessageContaining("unknown channel 'nope'");
    assertThatThrownBy(() -> Fixtures.listener(db, jobs).workers(0).build()).hasMessageContaining("workers");
    assertThatThrownBy(() -> Fixtures.listener(db, jobs).payloadFilter("{oops").build())
        .hasMessageContaining("payloadFilter");
    assertThatThrownBy(() -> Fixtures.listener(db, jobs).schema("").build())
        .hasMessageContaining("invalid schema '': it is empty");
    assertThatThrownBy(() -> Listener.builder().channelDefinitions(List.of(jobs)).build())
        .hasMessageContaining("dataSource");
    ChannelDefinition noListeners = plain("idle", Ping.class, true);
    assertThatThrownBy(() -> Fixtures.listener(db, noListeners).channels("idle").build())
        .hasMessageContaining("channel 'idle' has no listener");
  }

  @Test
  void aMissingNotificationTableIsReportedAtStartAndInstallSchemaCreatesIt() throws Exception {
    ChannelDefinition jobs = jobChannel("jobs_schema");
    db.execute("create schema if not exists other");
    Listener missing = Fixtures.listener(db, jobs).schema("other").build();
    assertThatThrownBy(missing::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("other.pgpubsub_notification")
        .hasMessageContaining("installSchema(true)");
    missing.close(); // idempotent and harmless after a failed start
    try (Listener l = Fixtures.listener(db, jobs).schema("other").installSchema(true).build().start()) {
      assertThat(l.isRunning()).isTrue();
    }
    assertThat(count(db, "select count(*) from other.pgpubsub_notification")).isZero();
  }

  @Test
  void thePollFindsRowsStoredWithoutANotify() throws Exception {
    CountDownLatch got = new CountDownLatch(1);
    ChannelDefinition ch = plain("silent", Ping.class, true, plainListener("S#on", (t, inv) -> got.countDown()));
    try (Listener l = Fixtures.listener(db, ch).pollInterval(Duration.ofMillis(200)).build().start()) {
      db.execute(
          "insert into pgpubsub_notification(channel, payload) values"
              + " ('silent', '{\"op\":\"NOTIFY\",\"new\":{\"tenant\":\"t\",\"n\":1},\"context\":{},\"v\":\"x\"}')");
      assertThat(got.await(20, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void withoutRecoverOnStartOlderNotificationsAreLeftForOtherListeners() throws Exception {
    List<Integer> seen = new CopyOnWriteArrayList<>();
    ChannelDefinition ch =
        plain("norecover", Ping.class, true, plainListener("N#on", (t, inv) -> seen.add(inv.newValue(Ping.class).n())));
    Notifier notifier = Notifier.create("public", List.of(ch));
    inTransaction(db, c -> notifier.send(c, new Ping("old", 1)));
    try (Listener l = Fixtures.listener(db, ch).recoverOnStart(false).build().start()) {
      inTransaction(db, c -> notifier.send(c, new Ping("new", 2)));
      await(Duration.ofSeconds(20), "new one", () -> seen.contains(2));
    }
    assertThat(seen).containsExactly(2);
    try (Listener l = Fixtures.listener(db, ch).build().start()) {
      await(Duration.ofSeconds(20), "old one recovered", () -> seen.contains(1));
    }
  }

  @Test
  void dataSourcesAndASeparateListenUrlWork() throws Exception {
    List<Integer> seen = new CopyOnWriteArrayList<>();
    ChannelDefinition ch =
        plain("sources", Ping.class, true, plainListener("D#on", (t, inv) -> seen.add(inv.newValue(Ping.class).n())));
    Notifier notifier = Notifier.create("public", List.of(ch));
    com.zaxxer.hikari.HikariConfig hc = new com.zaxxer.hikari.HikariConfig();
    hc.setJdbcUrl(db.jdbcUrlWithCredentials());
    hc.setMaximumPoolSize(3);
    try (com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource(hc)) {
      // a plain DataSource: wrapped in our pool, and LISTEN takes one of its connections
      try (Listener l = Listener.builder().dataSource(db.dataSource()).channelDefinitions(List.of(ch))
          .pollInterval(Duration.ofHours(1)).build().start()) {
        inTransaction(db, c -> notifier.send(c, new Ping("a", 1)));
        await(Duration.ofSeconds(20), "via plain DataSource", () -> seen.contains(1));
      }
      // the application's HikariCP pool, used as it is, with a direct LISTEN URL
      try (Listener l = Listener.builder().dataSource(pool).listenUrl(db.jdbcUrlWithCredentials())
          .channelDefinitions(List.of(ch)).pollInterval(Duration.ofHours(1)).build().start()) {
        inTransaction(db, c -> notifier.send(c, new Ping("b", 2)));
        await(Duration.ofSeconds(20), "via HikariDataSource + listenUrl", () -> seen.contains(2));
      }
      assertThat(pool.isClosed()).as("the application's pool is not ours to close").isFalse();
    }
  }
}
