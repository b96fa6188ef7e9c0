package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 24's "done when": 4 listener processes x 2 workers, 200 keys x 50 updates each, random callback
 * failures; per key the committed callbacks see strictly increasing versions (1..50, each once) and never two
 * at once; the same with one process killed (SIGKILL) in the middle of a batch.
 */
@PostgresTest
class OrderedMultiProcessTest {

  private static final int KEYS = 200;
  private static final int UPDATES = 50;

  private static void reset(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute(
        "drop table if exists observed, overlapping, versions, blocked;"
            + " create table blocked(key text, version int, primary key (key, version));"
            + " create table observed(seq bigint generated always as identity, key text, version int, pid bigint);"
            + " create table overlapping(key text, version int);"
            + " create table versions(key text primary key, v int not null);"
            + " truncate pgpubsub_notification");
  }

  @Test
  @Timeout(300)
  void fourProcessesTwoWorkersEach200Keys50UpdatesWithRandomFailures(TestDatabase db) throws Exception {
    run(db, false);
  }

  @Test
  @Timeout(300)
  void theSameWithOneProcessKilledMidBatch(TestDatabase db) throws Exception {
    run(db, true);
  }

  private void run(TestDatabase db, boolean kill) throws Exception {
    reset(db);
    String url = db.jdbcUrlWithCredentials();
    List<ChildJvm> children = new ArrayList<>();
    ExecutorService writers = Executors.newFixedThreadPool(4);
    try {
      for (int i = 1; i <= 4; i++) {
        List<String> args = new ArrayList<>(List.of(url, "2", "20", "10"));
        if (kill) {
          args.addAll(List.of("k7", "20")); // whichever process runs key k7's 20th update blocks in its batch
        }
        children.add(
            ChildJvm.start(OrderedListenerProcess.class, "ordered-" + i, List.of("-Xmx128m"), false,
                args.toArray(String[]::new)));
      }
      for (ChildJvm child : children) {
        await(Duration.ofSeconds(60), "child started", () -> child.printed("STARTED") || !child.process.isAlive());
        assertThat(child.process.isAlive()).as("child alive: " + child.lines).isTrue();
      }
      Notifier notifier = Notifier.create("public", List.of(OrderedListenerProcess.channel((t, inv) -> {})));
      List<Future<?>> writes = new ArrayList<>();
      for (int w = 0; w < 4; w++) {
        writes.add(writers.submit(() -> {
          try (Connection c = DriverManager.getConnection(url)) {
            c.setAutoCommit(false);
            for (int i = 0; i < KEYS * UPDATES / 4; i++) {
              String key = "k" + ThreadLocalRandom.current().nextInt(KEYS);
              int version;
              // the version row is locked until commit: versions of a key follow commit order
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "insert into versions values (?, 1) on conflict (key) do update set v = versions.v + 1"
                          + " where versions.v < " + UPDATES + " returning v")) {
                ps.setString(1, key);
                try (ResultSet rs = ps.executeQuery()) {
                  if (!rs.next()) {
                    c.rollback();
                    i--; // this key is complete: pick another
                    continue;
                  }
                  version = rs.getInt(1);
                }
              }
              notifier.send(c, new OrderedListenerProcess.Change(key, version), key);
              c.commit();
            }
          }
          return null;
        }));
      }
      if (kill) {
        await(Duration.ofSeconds(120), "a process blocked mid-batch", () -> children.stream().anyMatch(ch -> ch.printed("BLOCKED")));
        ChildJvm victim = children.stream().filter(ch -> ch.printed("BLOCKED")).findFirst().orElseThrow();
        victim.process.destroyForcibly(); // SIGKILL
        assertThat(victim.process.waitFor(20, TimeUnit.SECONDS)).isTrue();
      }
      for (Future<?> f : writes) {
        f.get(120, TimeUnit.SECONDS);
      }
      await(Duration.ofSeconds(180), KEYS * UPDATES + " callbacks committed",
          () -> count(db, "select count(*) from observed") >= KEYS * UPDATES
              && count(db, "select count(*) from pgpubsub_notification") == 0);
      assertThat(count(db, "select count(*) from overlapping")).as("callbacks of one key at the same time").isZero();
      assertThat(count(db, "select count(distinct pid) from observed")).as("processes that took part").isGreaterThanOrEqualTo(3);
      Map<String, List<Integer>> byKey = new TreeMap<>();
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("select key, version from observed order by seq")) {
        while (rs.next()) {
          byKey.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getInt(2));
        }
      }
      List<Integer> all = new ArrayList<>();
      for (int v = 1; v <= UPDATES; v++) {
        all.add(v);
      }
      assertThat(byKey).hasSize(KEYS);
      for (Map.Entry<String, List<Integer>> e : byKey.entrySet()) {
        assertThat(e.getValue()).as("versions of key " + e.getKey() + " in the order their callbacks committed")
            .isEqualTo(all);
      }
    } finally {
      writers.shutdownNow();
      for (ChildJvm child : children) {
        child.close();
      }
    }
  }
}
