package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerInvoker;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Ordered channels (issue 24): per key one callback at a time, in commit order, across listeners and workers;
 * a failing notification holds back only its own key; both dead-key policies; commit order, not id order.
 */
@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
@Timeout(180)
class OrderedChannelTest {

  public record Change(String key, int version, String mode) {}

  private final TestDatabase db;

  OrderedChannelTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void reset() throws Exception {
    Fixtures.install(db);
    db.execute(
        "drop table if exists observed, versions;"
            + " create table observed(seq bigint generated always as identity, key text, version int,"
            + " head_dead boolean);"
            + " create table versions(key text primary key, v int not null);"
            + " truncate pgpubsub_notification");
  }

  static ChannelDefinition ordered(String name, DeadKeyPolicy policy, ListenerInvoker invoker) {
    return new ChannelDefinition(
        name, Change.class, false, true, true, null, null, Set.of(), Change.class.getName(), null,
        List.of(plainListener(name + "#on", invoker)), null, true, policy);
  }

  private static void observe(Connection c, Change change, Boolean headDead) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("insert into observed(key, version, head_dead) values (?, ?, ?)")) {
      ps.setString(1, change.key());
      ps.setInt(2, change.version());
      ps.setObject(3, headDead);
      ps.executeUpdate();
    }
  }

  /** Per key, the versions in the order their callbacks committed. */
  private Map<String, List<Integer>> observedByKey() throws SQLException {
    Map<String, List<Integer>> out = new java.util.TreeMap<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select key, version from observed order by seq")) {
      while (rs.next()) {
        out.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getInt(2));
      }
    }
    return out;
  }

  /**
   * Writers bump a version row and send the change in one transaction, so versions of a key follow commit
   * order; two listeners (two pools, as two processes would) with four workers each run the callbacks, which
   * fail at random. Per key the committed callbacks must see 1, 2, 3, ... and never run two at once.
   */
  @Test
  void manyKeysManyUpdatesWithRandomFailuresRunInCommitOrderPerKey() throws Exception {
    int keys = 100;
    int updates = 20;
    Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
    List<String> overlaps = new CopyOnWriteArrayList<>();
    AtomicInteger failures = new AtomicInteger();
    ChannelDefinition ch =
        ordered("ordered_many", DeadKeyPolicy.MOVE_ON, (t, inv) -> {
          Change change = inv.newValue(Change.class);
          AtomicInteger r = running.computeIfAbsent(change.key(), k -> new AtomicInteger());
          if (r.incrementAndGet() != 1) {
            overlaps.add(change.key() + " v" + change.version());
          }
          try {
            // another callback of this key must not start meanwhile: give it the time to
            Thread.yield();
            if (ThreadLocalRandom.current().nextInt(100) < 15 && inv.delivery().attempt() < 4) {
              failures.incrementAndGet();
              throw new IllegalStateException("random failure of " + change);
            }
            observe(inv.resource(Connection.class), change, null);
          } finally {
            r.decrementAndGet();
          }
        });
    RetryPolicy retry = RetryPolicy.exponential(10, Duration.ofMillis(5), Duration.ofMillis(20));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener a = Fixtures.listener(db, ch).name("a").workers(4).batchSize(10).retryPolicy(retry).build().start();
        Listener b = Fixtures.listener(db, ch).name("b").workers(4).batchSize(10).retryPolicy(retry).build().start()) {
      ExecutorService writers = Executors.newFixedThreadPool(4);
      try {
        List<Future<?>> writes = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
          writes.add(writers.submit(() -> {
            try (Connection c = db.connect()) {
              c.setAutoCommit(false);
              for (int i = 0; i < keys * updates / 4; i++) {
                String key = "k" + ThreadLocalRandom.current().nextInt(keys);
                int version;
                try (PreparedStatement ps =
                    c.prepareStatement(
                        "insert into versions values (?, 1) on conflict (key) do update set v = versions.v + 1"
                            + " returning v")) {
                  ps.setString(1, key);
                  try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    version = rs.getInt(1);
                  }
                }
                notifier.send(c, new Change(key, version, "ok"), key);
                c.commit();
              }
            }
            return null;
          }));
        }
        for (Future<?> f : writes) {
          f.get();
        }
      } finally {
        writers.shutdownNow();
      }
      await(Duration.ofSeconds(120), "every change processed", () -> count(db, "select count(*) from observed") == keys * updates);
      assertThat(count(db, "select count(*) from pgpubsub_notification")).isZero();
    }
    assertThat(overlaps).as("callbacks of one key that ran at the same time").isEmpty();
    assertThat(failures.get()).as("random failures").isPositive();
    Map<String, List<Integer>> byKey = observedByKey();
    for (Map.Entry<String, List<Integer>> e : byKey.entrySet()) {
      List<Integer> expected = new ArrayList<>();
      for (int v = 1; v <= e.getValue().size(); v++) {
        expected.add(v);
      }
      assertThat(e.getValue()).as("versions of key " + e.getKey() + " in the order their callbacks committed")
          .isEqualTo(expected);
    }
  }

  /**
   * Key "poison" has a notification that always fails, then a good one; fifty other keys have three each. The
   * other keys all run while the poison is retried. MOVE_ON: the good one runs once the poison is dead, never
   * before. BLOCK: it waits (a notification sent after the poison died is processed, and it still waits) until
   * an operator retries the dead one (which then runs first) or purges it.
   */
  @ParameterizedTest
  @EnumSource(DeadKeyPolicy.class)
  void aPoisonNotificationHoldsBackOnlyItsOwnKey(DeadKeyPolicy policy) throws Exception {
    AtomicBoolean cured = new AtomicBoolean();
    String name = "ordered_poison_" + policy.name().toLowerCase(java.util.Locale.ROOT);
    ChannelDefinition ch =
        ordered(name, policy, (t, inv) -> {
          Change change = inv.newValue(Change.class);
          if (change.mode().equals("poison") && !cured.get()) {
            throw new IllegalStateException("poison");
          }
          Connection c = inv.resource(Connection.class);
          Boolean headDead = null;
          if (change.key().equals("poison") && change.version() == 2) {
            try (Statement s = c.createStatement();
                ResultSet rs =
                    s.executeQuery("select count(*) from pgpubsub_notification where dead_at is not null")) {
              rs.next();
              headDead = rs.getLong(1) > 0;
            }
          }
          observe(c, change, headDead);
        });
    RetryPolicy retry = RetryPolicy.exponential(3, Duration.ofMillis(50), Duration.ofMillis(100));
    Notifier notifier = Notifier.create("public", List.of(ch));
    long poisonId;
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      poisonId = notifier.send(c, new Change("poison", 1, "poison"), "poison");
      notifier.send(c, new Change("poison", 2, "ok"), "poison");
      for (int v = 1; v <= 3; v++) {
        for (int k = 0; k < 50; k++) {
          notifier.send(c, new Change("k" + k, v, "ok"), "k" + k);
        }
      }
      c.commit();
    }
    try (Listener listener =
        Fixtures.listener(db, ch).workers(3).batchSize(20).retryPolicy(retry).build().start()) {
      await(Duration.ofSeconds(60), "the other keys processed",
          () -> count(db, "select count(*) from observed where key <> 'poison'") == 150);
      await(Duration.ofSeconds(60), "the poison dead",
          () -> count(db, "select count(*) from pgpubsub_notification where dead_at is not null") == 1);
      if (policy == DeadKeyPolicy.MOVE_ON) {
        await(Duration.ofSeconds(60), "the key moved on",
            () -> count(db, "select count(*) from observed where key = 'poison'") == 1);
        assertThat(count(db, "select count(*) from observed where key = 'poison' and version = 2 and head_dead"))
            .as("the poison's successor ran only once the poison was dead")
            .isEqualTo(1);
      } else {
        try (Connection c = db.connect()) {
          c.setAutoCommit(false);
          notifier.send(c, new Change("sentinel", 1, "ok"), "sentinel");
          c.commit();
        }
        await(Duration.ofSeconds(30), "the sentinel processed",
            () -> count(db, "select count(*) from observed where key = 'sentinel'") == 1);
        assertThat(count(db, "select count(*) from observed where key = 'poison'"))
            .as("a claim that ran after the poison died left its successor waiting")
            .isZero();
        cured.set(true);
        assertThat(listener.deadLetters().retry(poisonId)).isTrue();
        await(Duration.ofSeconds(30), "the key unblocked by the retry",
            () -> count(db, "select count(*) from observed where key = 'poison'") == 2);
        assertThat(observedByKey().get("poison")).as("the retried head ran first").containsExactly(1, 2);
      }
    }
  }

  /** BLOCK, unblocked by purging the dead notification instead of retrying it. */
  @Test
  void aBlockedKeyMovesOnWhenItsDeadNotificationIsPurged() throws Exception {
    ChannelDefinition ch =
        ordered("ordered_purge", DeadKeyPolicy.BLOCK, (t, inv) -> {
          Change change = inv.newValue(Change.class);
          if (change.mode().equals("poison")) {
            throw new IllegalStateException("poison");
          }
          observe(inv.resource(Connection.class), change, null);
        });
    Notifier notifier = Notifier.create("public", List.of(ch));
    long poisonId;
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      poisonId = notifier.send(c, new Change("p", 1, "poison"), "p");
      notifier.send(c, new Change("p", 2, "ok"), "p");
      c.commit();
    }
    io.micrometer.core.instrument.simple.SimpleMeterRegistry meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    try (Listener listener =
        Fixtures.listener(db, ch).retryPolicy(RetryPolicy.noRetries()).meterRegistry(meters).build().start()) {
      await(Duration.ofSeconds(30), "the poison dead",
          () -> count(db, "select count(*) from pgpubsub_notification where dead_at is not null") == 1);
      // the gauges are counted every 5 s by an idle worker
      await(Duration.ofSeconds(30), "the blocked key in the gauges",
          () -> meters.get("pgpubsub.keys.dead").tag("channel", "ordered_purge").gauge().value() == 1
              && meters.get("pgpubsub.keys.waiting").tag("channel", "ordered_purge").gauge().value() == 1);
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        notifier.send(c, new Change("sentinel", 1, "ok"), "sentinel");
        c.commit();
      }
      await(Duration.ofSeconds(30), "the sentinel processed",
          () -> count(db, "select count(*) from observed where key = 'sentinel'") == 1);
      assertThat(count(db, "select count(*) from observed where key = 'p'")).isZero();
      assertThat(listener.deadLetters().purge(poisonId)).isTrue();
      await(Duration.ofSeconds(30), "the key moved on after the purge",
          () -> count(db, "select count(*) from observed where key = 'p'") == 1);
      await(Duration.ofSeconds(30), "the gauges emptied",
          () -> meters.get("pgpubsub.keys.dead").tag("channel", "ordered_purge").gauge().value() == 0
              && meters.get("pgpubsub.keys.waiting").tag("channel", "ordered_purge").gauge().value() == 0);
    }
  }

  /**
   * T1 sends for key K first (it draws the lower id), T2 sends for K and commits while T1 is still open; then
   * T1 commits. The callbacks must follow commit order. A design that stored both rows and ran them by id
   * would run T1's first although T2 committed first; ours makes T2 wait for T1 (the per-key writer lock), so
   * T2 commits second and its id is the higher one.
   */
  @Test
  void twoWritersOfOneKeyThatInterleaveRunInCommitOrderNotIdOrder() throws Exception {
    List<String> callbacks = new CopyOnWriteArrayList<>();
    ChannelDefinition ch =
        ordered("ordered_commit", DeadKeyPolicy.MOVE_ON, (t, inv) -> callbacks.add(inv.newValue(Change.class).mode()));
    Notifier notifier = Notifier.create("public", List.of(ch));
    List<String> commits = new CopyOnWriteArrayList<>();
    ExecutorService second = Executors.newSingleThreadExecutor();
    try (Connection t1 = db.connect()) {
      t1.setAutoCommit(false);
      notifier.send(t1, new Change("K", 0, "T1"), "K");
      AtomicInteger t2Pid = new AtomicInteger();
      Future<?> t2 =
          second.submit(() -> {
            try (Connection c = db.connect()) {
              c.setAutoCommit(false);
              t2Pid.set(c.unwrap(org.postgresql.PGConnection.class).getBackendPID());
              notifier.send(c, new Change("K", 0, "T2"), "K");
              c.commit();
              commits.add("T2");
            }
            return null;
          });
      // T2 has either committed already (a design without the writer lock) or waits for T1's lock
      await(Duration.ofSeconds(30), "T2 committed or waiting for a lock", () -> t2.isDone()
          || (t2Pid.get() != 0
              && count(db, "select count(*) from pg_stat_activity where pid = " + t2Pid.get()
                  + " and wait_event_type = 'Lock'") == 1));
      t1.commit();
      commits.add("T1");
      t2.get();
    } finally {
      second.shutdownNow();
    }
    try (Listener listener = Fixtures.listener(db, ch).workers(2).build().start()) {
      await(Duration.ofSeconds(30), "both processed", () -> callbacks.size() == 2);
    }
    assertThat(commits).containsExactly("T1", "T2");
    assertThat(callbacks).as("callbacks in commit order").isEqualTo(commits);
  }

  @Test
  void anOrderedPlainChannelRefusesASendWithoutAKey() throws Exception {
    ChannelDefinition ch = ordered("ordered_nokey", DeadKeyPolicy.MOVE_ON, (t, inv) -> {});
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Connection c = db.connect()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> notifier.send(c, new Change("x", 1, "ok")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is ordered");
    }
  }
}
