package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.Listener;
import io.pgpubsub.Operation;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The generated trigger of ordered channels (issue 24) on a real PostgreSQL: it stores each row's key, makes
 * writers of one key wait for each other until commit (and only them), and a listener then runs a key's
 * changes in commit order even when the transactions drew their ids the other way round.
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OrderedTriggerIntegrationTest {

  /** A purchase row as the trigger stores it (Jackson maps the columns by snake_case name). */
  public record PurchaseRow(long id, long customerid, String status) {}

  private final TestDatabase db;

  OrderedTriggerIntegrationTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  void install() {
    String script = Fixtures.generated(Fixtures.compileOk("good/ordered"), "META-INF/pgpubsub.sql");
    db.execute(
        "CREATE TABLE purchase (id bigint PRIMARY KEY, customerid bigint, status text);"
            + "CREATE TABLE ticket (id bigint PRIMARY KEY, state text)");
    db.execute(script);
    db.execute(script); // idempotent
  }

  @BeforeEach
  void clean() {
    db.execute("DELETE FROM purchase; DELETE FROM ticket; DELETE FROM pgpubsub_notification");
  }

  private List<String> keys(String channel) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT order_key, payload->>'op' FROM pgpubsub_notification WHERE channel = '" + channel
                    + "' ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getString(2) + ":" + rs.getString(1));
      }
    }
    return out;
  }

  @Test
  void eachRowIsStoredWithItsKeyTheNamedAttributeOrTheId() throws Exception {
    db.execute(
        "INSERT INTO purchase VALUES (1, 7, 'new'), (2, NULL, 'new');"
            + " UPDATE purchase SET status = 'paid', customerid = 8 WHERE id = 1;"
            + " DELETE FROM purchase WHERE id = 1;"
            + " INSERT INTO ticket VALUES (41, 'open'); UPDATE ticket SET state = 'closed' WHERE id = 41;"
            + " UPDATE ticket SET state = 'closed' WHERE id = 41; DELETE FROM ticket WHERE id = 41");
    assertThat(keys("purchase"))
        .as("the new key on update, the old one on delete, '' for null")
        .containsExactly("INSERT:7", "INSERT:", "UPDATE:8", "DELETE:8");
    assertThat(keys("ticket"))
        .as("the id by default; an update of no watched column stores nothing")
        .containsExactly("INSERT:41", "UPDATE:41", "DELETE:41");
  }

  private static void await(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Boolean.TRUE.equals(condition.call())) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  private boolean waitsForALock(int pid) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = " + pid)) {
      return rs.next() && rs.getBoolean(1);
    }
  }

  private static int pid(Connection c) throws SQLException {
    return c.unwrap(org.postgresql.PGConnection.class).getBackendPID();
  }

  /**
   * T1 changes purchase 1 of customer 7 and stays open. T3 changes customer 8's purchase: it does not wait. T2
   * changes purchase 2, also of customer 7, and commits as soon as it can. T1 commits last. Without the
   * trigger's lock T2 would commit first holding the higher id, and a listener that runs a key's rows by id
   * would run T1's change first; with it, T2 waits for T1, and the callbacks follow commit order.
   */
  @Test
  void interleavedWritersOfOneKeyRunInCommitOrderAndOtherKeysDoNotWait() throws Exception {
    db.execute("INSERT INTO purchase VALUES (1, 7, 'new'), (2, 7, 'new'), (3, 8, 'new'); DELETE FROM pgpubsub_notification");
    List<String> commits = new CopyOnWriteArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try (Connection t1 = db.connect()) {
      t1.setAutoCommit(false);
      try (Statement s = t1.createStatement()) {
        s.execute("UPDATE purchase SET status = 'T1' WHERE id = 1");
      }
      Future<?> t3 =
          threads.submit(() -> {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
              s.execute("UPDATE purchase SET status = 'T3' WHERE id = 3"); // autocommit
            }
            return null;
          });
      t3.get(30, TimeUnit.SECONDS); // another key: done while T1 is open
      int[] t2Pid = new int[1];
      Future<?> t2 =
          threads.submit(() -> {
            try (Connection c = db.connect()) {
              c.setAutoCommit(false);
              synchronized (t2Pid) {
                t2Pid[0] = pid(c);
              }
              try (Statement s = c.createStatement()) {
                s.execute("UPDATE purchase SET status = 'T2' WHERE id = 2");
              }
              c.commit();
              commits.add("T2");
            }
            return null;
          });
      await("T2 committed or waiting for a lock", () -> {
        int p;
        synchronized (t2Pid) {
          p = t2Pid[0];
        }
        return t2.isDone() || (p != 0 && waitsForALock(p));
      });
      // T2 must still be blocked by T1's per-key lock here (recording "T1" after commit() returns would race
      // with T2's thread, which T1's commit releases)
      assertThat(t2.isDone()).as("T2 waited for T1: it did not commit while T1 was open").isFalse();
      commits.add("T1");
      t1.commit();
      t2.get(30, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }
    assertThat(commits).as("T2 waited for T1").containsExactly("T1", "T2");

    List<String> callbacks = new CopyOnWriteArrayList<>();
    ListenerDefinition onUpdate =
        new ListenerDefinition(
            "Purchases#onUpdate", ListenerKind.POST_UPDATE, OrderedTriggerIntegrationTest.class, true,
            (target, inv) -> {
              PurchaseRow row = inv.newValue(PurchaseRow.class);
              if (row.customerid() == 7) {
                callbacks.add(row.status());
              }
            });
    ChannelDefinition purchase =
        new ChannelDefinition(
            "purchase", PurchaseRow.class, true, true, true, null, "purchase",
            Set.of(Operation.INSERT, Operation.UPDATE, Operation.DELETE), "test", null, List.of(onUpdate), null,
            true, DeadKeyPolicy.BLOCK);
    try (Listener listener =
        Listener.builder()
            .jdbcUrl(db.jdbcUrl())
            .user(db.user())
            .password(db.password())
            .channelDefinitions(List.of(purchase))
            .workers(2)
            .pollInterval(Duration.ofMinutes(10))
            .build()
            .start()) {
      await("both changes of customer 7 processed", () -> callbacks.size() == 2);
      listener.drain(Duration.ofSeconds(30));
    }
    assertThat(callbacks).as("callbacks in commit order").isEqualTo(commits);
  }
}
