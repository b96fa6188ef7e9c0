package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Listeners in separate JVMs: exactly-once across processes, SIGKILL mid-batch, and a large backlog. */
@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
class MultiProcessTest {

  private static final String JOB_TYPE = ListenerProcess.Job.class.getName();

  private static void reset(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("drop table if exists effects; create table effects(n bigint primary key, pid bigint not null)");
    db.execute("truncate pgpubsub_notification");
  }

  @Test
  @Timeout(120)
  void threeListenerProcessesDrainConcurrentWritersExactlyOnce(TestDatabase db) throws Exception {
    reset(db);
    String url = db.jdbcUrlWithCredentials();
    List<ChildJvm> children = new ArrayList<>();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    try {
      for (int i = 1; i <= 3; i++) {
        // without Micrometer on the class path: core must not need it
        children.add(ChildJvm.start("listener-" + i, List.of("-Xmx128m"), true, url, "effects", "2", "100"));
      }
      for (ChildJvm child : children) {
        await(Duration.ofSeconds(60), "child started", () -> child.printed("STARTED") || !child.process.isAlive());
        assertThat(child.process.isAlive()).as("child alive: " + child.lines).isTrue();
      }
      long t0 = System.nanoTime();
      System.out.println("children started");
      Notifier notifier = Notifier.create("public", List.of(ListenerProcess.channel((t, inv) -> {})));
      List<Future<?>> writes = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        int writer = w;
        writes.add(writers.submit(() -> {
          try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(false);
            for (int i = 0; i < 5_000; i++) {
              notifier.send(c, new ListenerProcess.Job(writer * 5_000L + i, "w" + writer));
              if (i % 50 == 49) {
                c.commit();
              }
            }
            c.commit();
          }
          return null;
        }));
      }
      for (Future<?> f : writes) {
        f.get(60, TimeUnit.SECONDS);
      }
      System.out.printf("written after %d ms, %d effects%n", (System.nanoTime() - t0) / 1_000_000, count(db, "select count(*) from effects"));
      await(Duration.ofSeconds(60), "20,000 effects", () -> count(db, "select count(*) from effects") == 20_000);
      System.out.printf("drained after %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      assertThat(count(db, "select count(*) from pgpubsub_notification")).as("nothing left, nothing dead").isZero();
      assertThat(count(db, "select count(distinct pid) from effects")).as("all three processes took part").isEqualTo(3);
      assertThat(count(db, "select min(n) from effects")).isZero();
      assertThat(count(db, "select max(n) from effects")).isEqualTo(19_999);
    } finally {
      writers.shutdownNow();
      for (ChildJvm child : children) {
        child.close();
      }
    }
  }

  @Test
  @Timeout(120)
  void aListenerKilledMidBatchLosesNothingAndTheNextOneDoesNothingTwice(TestDatabase db) throws Exception {
    reset(db);
    String url = db.jdbcUrlWithCredentials();
    db.execute(
        "insert into pgpubsub_notification(channel, payload) select 'jobs', jsonb_build_object('op', 'NOTIFY',"
            + " 'new', jsonb_build_object('n', g, 'pad', 'p'), 'context', '{}'::jsonb, 'v', '" + JOB_TYPE + "')"
            + " from generate_series(1, 2000) g order by g");
    try (ChildJvm victim = ChildJvm.start("victim", List.of("-Xmx128m"), false, url, "effects", "1", "50", "975")) {
      await(Duration.ofSeconds(60), "victim blocked mid-batch", () -> victim.printed("BLOCKED") || !victim.process.isAlive());
      assertThat(victim.printed("BLOCKED")).as("victim output: " + victim.lines).isTrue();
      // batches of 50, oldest first: 19 committed, the 20th (951..1000) is in flight with 25 uncommitted effects
      assertThat(count(db, "select count(*) from effects")).isEqualTo(950);
      victim.process.destroyForcibly(); // SIGKILL
      assertThat(victim.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
    ChannelDefinition sameJobs = ListenerProcess.channel((t, inv) -> {
      ListenerProcess.Job job = inv.newValue(ListenerProcess.Job.class);
      try (var ps = inv.resource(Connection.class).prepareStatement("insert into effects(n, pid) values (?, 0)")) {
        ps.setLong(1, job.n());
        ps.executeUpdate();
      }
    });
    try (Listener next =
        Listener.builder()
            .jdbcUrl(url)
            .channelDefinitions(List.of(sameJobs))
            .pollInterval(Duration.ofMillis(200)) // the killed session's locks go when PostgreSQL notices
            .retryPolicy(RetryPolicy.noRetries()) // a duplicate effect would fail and show up as dead
            .build()
            .start()) {
      await(Duration.ofSeconds(60), "all 2000", () -> count(db, "select count(*) from effects") == 2000);
    }
    assertThat(count(db, "select count(*) from pgpubsub_notification")).as("none left, none dead").isZero();
    assertThat(count(db, "select count(*) from effects where pid = 0")).isEqualTo(1050);
  }

  @Test
  @Timeout(180)
  void aBacklogOf200000IsRecoveredWithA256MbHeap(TestDatabase db) throws Exception {
    reset(db);
    String url = db.jdbcUrlWithCredentials();
    db.execute(
        "insert into pgpubsub_notification(channel, payload) select 'jobs', jsonb_build_object('op', 'NOTIFY',"
            + " 'new', jsonb_build_object('n', g, 'pad', repeat('x', 100)), 'context', '{}'::jsonb, 'v', '"
            + JOB_TYPE + "') from generate_series(1, 200000) g");
    db.execute("vacuum analyze pgpubsub_notification");
    try (ChildJvm child = ChildJvm.start("recovery", List.of("-Xmx256m"), false, url, "drain", "2", "200")) {
      assertThat(child.process.waitFor(150, TimeUnit.SECONDS)).as("recovery finished in time").isTrue();
      assertThat(child.process.exitValue()).as(String.join("\n", child.lines)).isZero();
      assertThat(child.line("DONE")).contains("processed=200000").contains("maxHeapMB=256");
      assertThat(child.lines).anyMatch(l -> l.contains("recovering 200000 stored notification(s)"));
      assertThat(child.lines).anyMatch(l -> l.contains("recovery done: 200000"));
    }
    assertThat(count(db, "select count(*) from pgpubsub_notification")).isZero();
  }
}
