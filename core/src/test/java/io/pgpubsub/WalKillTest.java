package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three WAL-transport listener processes on one slot; the leader is killed with {@code kill -9} twice while it
 * runs batches. Every committed change's callback effect is there exactly once (a second application would fail
 * the primary key and end as a dead notification), and in commit order per key.
 */
@PostgresTest
@Timeout(240)
class WalKillTest {

  private final TestDatabase db;

  WalKillTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    WalTransportTest.schema(db);
  }

  /** The listener name of the process that holds the slot's leader lock, or null. */
  String leader() throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "select a.application_name from pg_locks l join pg_stat_activity a using (pid)"
                    + " where l.locktype = 'advisory' and l.classid = 1885827896 and l.granted")) {
      return rs.next() ? rs.getString(1).replace("pgpubsub-wal-leader ", "") : null;
    }
  }

  @Test
  void killingTheLeaderMidBatchLosesNothingAndRepeatsNothing() throws Exception {
    String slot = "pgpubsub_kill_" + ProcessHandle.current().pid();
    int total = 600;
    List<ChildJvm> children = new ArrayList<>();
    Map<String, ChildJvm> byName = new HashMap<>();
    try {
      for (int i = 0; i < 3; i++) {
        ChildJvm child = ChildJvm.start(WalListenerProcess.class, "wal-" + i, List.of("-Xmx128m"), false,
            db.jdbcUrlWithCredentials(), slot);
        children.add(child);
      }
      await(Duration.ofSeconds(60), "3 processes started", () -> children.stream().allMatch(c -> c.printed("STARTED")));
      for (ChildJvm c : children) {
        byName.put("p" + c.line("STARTED").substring(8).trim(), c);
      }
      await(Duration.ofSeconds(30), "a leader", () -> leader() != null);
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(() -> {
            try {
              new WalTransportTest(db).write(0, total, 10);
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          });
      for (int kill = 1; kill <= 2; kill++) {
        long threshold = kill * 150L;
        await(Duration.ofSeconds(60), threshold + " effects", () -> count(db, "select count(*) from effects") >= threshold);
        String name = leader();
        assertThat(name).isNotNull();
        ChildJvm victim = byName.get(name);
        assertThat(victim).as("leader %s is one of ours", name).isNotNull();
        victim.process.destroyForcibly(); // SIGKILL: no shutdown hook, batches in flight are cut off
        victim.process.waitFor();
        long t0 = System.nanoTime();
        await(Duration.ofSeconds(30), "a new leader", () -> {
          String l = leader();
          return l != null && !l.equals(name);
        });
        System.out.printf("kill %d of leader %s: a new leader after %d ms%n", kill, name, (System.nanoTime() - t0) / 1_000_000);
      }
      writer.get();
      await(Duration.ofSeconds(90), "all " + total + " effects", () -> count(db, "select count(*) from effects") == total);
      assertThat(count(db, "select count(*) from pgpubsub_notification where dead_at is not null")).isZero();
      assertThat(count(db, "select count(distinct id) from effects")).isEqualTo(total);
      new WalTransportTest(db).assertOrderPerKey();
    } finally {
      for (ChildJvm c : children) {
        c.close();
      }
      try (Connection c = db.connect()) {
        await(Duration.ofSeconds(30), "the slot is released", () -> count(db,
            "select count(*) from pg_replication_slots where slot_name = '" + slot + "' and active") == 0);
        WalTransport.resetSlot(c, "public", slot);
      }
    }
  }
}
