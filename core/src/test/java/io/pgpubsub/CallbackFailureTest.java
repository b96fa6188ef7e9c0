package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static io.pgpubsub.Fixtures.inTransaction;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Callbacks written carelessly: one catches its SQL error and returns, one fails slowly, one fails while
 * another listener is ready to take its row. Each failure is counted once per attempt, with its own error.
 */
@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
@Timeout(90)
class CallbackFailureTest {

  public record Task(long n, String mode) {}

  private final TestDatabase db;

  CallbackFailureTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("create table effects(channel text, n bigint, attempt int, primary key (channel, n))");
    db.execute("create table accounts(id bigint primary key)");
    db.execute("insert into accounts values (1)");
  }

  private static void effect(Connection c, String channel, long n, int attempt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("insert into effects(channel, n, attempt) values (?, ?, ?)")) {
      ps.setString(1, channel);
      ps.setLong(2, n);
      ps.setInt(3, attempt);
      ps.executeUpdate();
    }
  }

  @Test
  void aCallbackThatSwallowsAnSqlErrorFailsWithThatErrorIsRetriedThenDeadAndItsBatchMatesCommitOnce()
      throws Exception {
    Map<Long, AtomicInteger> calls = new ConcurrentHashMap<>();
    ChannelDefinition ch =
        plain("swallow", Task.class, true, plainListener("Accounts#open", (t, inv) -> {
          Task task = inv.newValue(Task.class);
          calls.computeIfAbsent(task.n(), k -> new AtomicInteger()).incrementAndGet();
          Connection c = inv.resource(Connection.class);
          effect(c, "swallow", task.n(), inv.delivery().attempt());
          if (task.mode().equals("duplicate")) {
            try (PreparedStatement ps = c.prepareStatement("insert into accounts(id) values (1)")) {
              ps.executeUpdate();
            } catch (SQLException e) {
              // "already there, fine": the careless part. The transaction is now aborted.
            }
          }
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Listener l =
        Fixtures.listener(db, ch)
            .workers(1)
            .retryPolicy(RetryPolicy.exponential(3, Duration.ofMillis(20), Duration.ofMillis(50)))
            .meterRegistry(meters)
            .build()) {
      inTransaction(db, c -> {
        for (int i = 1; i <= 6; i++) {
          notifier.send(c, new Task(i, i == 3 ? "duplicate" : "ok"));
        }
      });
      l.start(); // one batch holds all six
      await(Duration.ofSeconds(30), "the swallowing notification dead", () -> l.deadLetters().count("swallow") == 1);
      await(Duration.ofSeconds(10), "nothing else left", () ->
          count(db, "select count(*) from pgpubsub_notification where channel = 'swallow' and dead_at is null") == 0);

      DeadLetter dead = l.deadLetters().list("swallow", 10).get(0);
      assertThat(dead.attempts()).isEqualTo(3);
      assertThat(dead.deadAt()).isNotNull();
      assertThat(dead.payload()).contains("\"n\": 3");
      assertThat(dead.lastError())
          .contains("Accounts#open returned normally but left the transaction of notification " + dead.id())
          .contains("SQL state 23505")
          .contains("duplicate key value violates unique constraint \"accounts_pkey\"");
      // its work never commits; its batch mates' work commits exactly once
      assertThat(count(db, "select count(*) from effects where channel = 'swallow' and n = 3")).isZero();
      assertThat(count(db, "select count(*) from effects where channel = 'swallow'")).isEqualTo(5);
      assertThat(count(db, "select max(attempt) from effects where channel = 'swallow'")).isEqualTo(1);
      assertThat(calls.get(3L).get()).as("once per attempt").isEqualTo(3);
      // mates before it ran on the rolled-back fast path and once more under their savepoint; those after it once
      assertThat(calls.get(1L).get()).isEqualTo(2);
      assertThat(calls.get(2L).get()).isEqualTo(2);
      for (long n = 4; n <= 6; n++) {
        assertThat(calls.get(n).get()).as("calls of %d", n).isEqualTo(1);
      }
      assertThat(meters.get("pgpubsub.notifications.processed").tag("channel", "swallow").counter().count()).isEqualTo(5);
      assertThat(meters.get("pgpubsub.notifications.failed").tag("channel", "swallow").counter().count()).isEqualTo(3);
      assertThat(meters.get("pgpubsub.notifications.retried").tag("channel", "swallow").counter().count()).isEqualTo(2);
      assertThat(meters.get("pgpubsub.notifications.dead").tag("channel", "swallow").counter().count()).isEqualTo(1);
    }
  }

  @Test
  void aCallbackThatRollsBackToItsOwnSavepointAfterAnErrorSucceeds() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ChannelDefinition ch =
        plain("savepoint", Task.class, true, plainListener("Careful#on", (t, inv) -> {
          calls.incrementAndGet();
          Connection c = inv.resource(Connection.class);
          java.sql.Savepoint sp = c.setSavepoint();
          try (Statement s = c.createStatement()) {
            s.executeUpdate("insert into accounts(id) values (1)");
          } catch (SQLException e) {
            c.rollback(sp); // the right way to go on after an error
          }
          effect(c, "savepoint", inv.newValue(Task.class).n(), inv.delivery().attempt());
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l = Fixtures.listener(db, ch).retryPolicy(RetryPolicy.noRetries()).build().start()) {
      inTransaction(db, c -> notifier.send(c, new Task(1, "ok")));
      await(Duration.ofSeconds(20), "processed", () -> count(db, "select count(*) from effects where channel = 'savepoint'") == 1);
      await(Duration.ofSeconds(5), "removed", () -> count(db, "select count(*) from pgpubsub_notification where channel = 'savepoint'") == 0);
    }
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void sqlThatEndsTheTransactionIsRefusedLikeCommit() throws Exception {
    Map<String, String> expected = new java.util.LinkedHashMap<>();
    expected.put("commit", "must not run SQL COMMIT");
    expected.put("  -- done\n END", "must not run SQL END");
    expected.put("/* undo */ rollback", "must not run SQL ROLLBACK");
    expected.put("start transaction isolation level serializable", "must not run SQL START TRANSACTION");
    Map<Long, String> byN = new ConcurrentHashMap<>();
    ChannelDefinition ch =
        plain("sqlcontrol", Task.class, true, plainListener("Sql#on", (t, inv) -> {
          Task task = inv.newValue(Task.class);
          Connection c = inv.resource(Connection.class);
          effect(c, "sqlcontrol", task.n(), inv.delivery().attempt());
          if (task.mode().equals("savepoint")) {
            try (Statement s = c.createStatement()) {
              s.execute("savepoint mine");
              s.execute("rollback to savepoint mine"); // allowed
            }
          } else if (task.n() % 2 == 0) {
            try (PreparedStatement ps = c.prepareStatement(task.mode())) {
              ps.execute();
            }
          } else {
            try (Statement s = c.createStatement()) {
              s.execute(task.mode());
            }
          }
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l = Fixtures.listener(db, ch).workers(1).retryPolicy(RetryPolicy.noRetries()).build()) {
      inTransaction(db, c -> {
        long n = 1;
        for (String sql : expected.keySet()) {
          byN.put(n, sql);
          notifier.send(c, new Task(n++, sql));
        }
        notifier.send(c, new Task(n, "savepoint"));
      });
      l.start();
      await(Duration.ofSeconds(20), "all refused", () -> l.deadLetters().count("sqlcontrol") == expected.size());
      await(Duration.ofSeconds(10), "the savepoint one processed", () ->
          count(db, "select count(*) from pgpubsub_notification where channel = 'sqlcontrol' and dead_at is null") == 0);
      for (DeadLetter dead : l.deadLetters().list("sqlcontrol", 10)) {
        String sql = expected.keySet().stream().filter(k -> dead.payload().contains(k.replace("\n", "\\n"))).findFirst().orElseThrow();
        assertThat(dead.lastError()).contains(expected.get(sql));
      }
    }
    assertThat(count(db, "select count(*) from effects where channel = 'sqlcontrol'")).as("only the savepoint one").isEqualTo(1);
  }

  /**
   * A worker's batch fails; while it records the failure, another listener is ready to claim. The failed
   * notification must run once for its attempt, and not again before its next attempt is due.
   */
  @Test
  void aFailedNotificationIsNotRunAgainForTheSameAttemptNorBeforeItsDelayByAnotherListener() throws Exception {
    List<String> runs = new CopyOnWriteArrayList<>();
    ThreadLocal<Boolean> failedHere = ThreadLocal.withInitial(() -> false);
    AtomicReference<Listener> second = new AtomicReference<>();
    ChannelDefinition[] channel = new ChannelDefinition[1];
    channel[0] =
        plain("race", Task.class, true, plainListener("Race#on", (t, inv) -> {
          Task task = inv.newValue(Task.class);
          runs.add(task.mode() + "#" + inv.delivery().attempt() + "@" + Thread.currentThread().getName());
          if (task.mode().equals("fails")) {
            failedHere.set(true);
            throw new IllegalStateException("the remote service said no");
          }
        }));
    ChannelDefinition ch = channel[0];
    Notifier notifier = Notifier.create("public", List.of(ch));
    RetryPolicy hourly = RetryPolicy.exponential(5, Duration.ofHours(1), Duration.ofHours(1));
    // the second listener starts (and gets every chance to claim) the moment the first rolls its transaction
    // back after the failure
    Runnable onRollback = () -> {
      if (!failedHere.get() || second.get() != null) {
        return;
      }
      failedHere.set(false);
      Listener l2 = Fixtures.listener(db, ch).name("second").workers(1).retryPolicy(hourly)
          .pollInterval(Duration.ofMillis(50)).build().start();
      second.set(l2);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (System.nanoTime() - deadline < 0) {
        try {
          if (count(db, "select count(*) from pgpubsub_notification where channel = 'race' and attempts > 0") > 0) {
            break; // the second listener ran it and recorded its failure
          }
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    };
    try (Listener l1 =
        Fixtures.listener(db, ch).name("first").workers(1).retryPolicy(hourly)
            .jdbcUrl(null).dataSource(rollbackHook(db, onRollback)).build()) {
      inTransaction(db, c -> {
        notifier.send(c, new Task(1, "ok"));
        notifier.send(c, new Task(2, "fails"));
      });
      l1.start();
      await(Duration.ofSeconds(20), "the failure recorded", () ->
          count(db, "select count(*) from pgpubsub_notification where channel = 'race' and attempts > 0") == 1);
      if (second.get() == null) {
        second.set(Fixtures.listener(db, ch).name("second").workers(1).retryPolicy(hourly).build().start());
      }
      // both listeners drain past the failed row: a new notification is processed...
      inTransaction(db, c -> notifier.send(c, new Task(3, "next")));
      await(Duration.ofSeconds(20), "the next one processed", () -> runs.stream().anyMatch(r -> r.startsWith("next#1")));
      await(Duration.ofSeconds(20), "the next one removed", () ->
          count(db, "select count(*) from pgpubsub_notification where channel = 'race' and attempts = 0") == 0);
      l1.close();
      second.get().close();
    } finally {
      if (second.get() != null) {
        second.get().close();
      }
    }
    // ...and the failed one ran exactly once: attempt 1, and attempt 2 is an hour away
    assertThat(runs.stream().filter(r -> r.startsWith("fails")).toList()).hasSize(1).allMatch(r -> r.startsWith("fails#1@"));
    assertThat(count(db, "select attempts from pgpubsub_notification where channel = 'race'")).isEqualTo(1);
    assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'race'"
        + " and next_attempt_at > clock_timestamp() + interval '20 minutes'")).isEqualTo(1);
  }

  /** A retry waits its delay from the moment the failure is recorded, not from the start of the batch. */
  @Test
  void aSlowFailureIsRetriedNoSoonerThanItsDelayAfterItFailed() throws Exception {
    Map<Integer, Long> slowAttemptStart = new ConcurrentHashMap<>();
    AtomicReference<Long> slowFailedAt = new AtomicReference<>();
    ChannelDefinition ch =
        plain("slowfail", Task.class, true, plainListener("Slow#on", (t, inv) -> {
          Task task = inv.newValue(Task.class);
          if (task.mode().equals("broken")) {
            throw new IllegalArgumentException("always broken");
          }
          slowAttemptStart.putIfAbsent(inv.delivery().attempt(), System.nanoTime());
          if (inv.delivery().attempt() == 1) {
            try (Statement s = inv.resource(Connection.class).createStatement()) {
              s.execute("select pg_sleep(1.5)"); // a slow remote call, say
            }
            slowFailedAt.set(System.nanoTime());
            throw new IllegalStateException("timed out talking to the warehouse");
          }
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l =
        Fixtures.listener(db, ch)
            .workers(1)
            .retryPolicy(RetryPolicy.exponential(3, Duration.ofSeconds(1), Duration.ofSeconds(1)))
            .build()) {
      inTransaction(db, c -> {
        notifier.send(c, new Task(1, "broken")); // fails first: the batch goes to safe mode at once
        notifier.send(c, new Task(2, "slow"));
      });
      l.start();
      await(Duration.ofSeconds(30), "the slow one's second attempt", () -> slowAttemptStart.containsKey(2));
    }
    long waited = TimeUnit.NANOSECONDS.toMillis(slowAttemptStart.get(2) - slowFailedAt.get());
    // the delay after attempt 1 is uniform in [0.5 s, 1 s]
    assertThat(waited).as("ms between the failure and the retry").isGreaterThanOrEqualTo(480);
  }

  /** A DataSource on the test database whose connections run {@code hook} after every full rollback. */
  static DataSource rollbackHook(TestDatabase db, Runnable hook) {
    DataSource real = db.dataSource();
    return new DataSource() {
      @Override
      public Connection getConnection() throws SQLException {
        Connection c = real.getConnection();
        return (Connection) Proxy.newProxyInstance(
            CallbackFailureTest.class.getClassLoader(), new Class<?>[] {Connection.class}, (p, m, a) -> {
              Object result;
              try {
                result = m.invoke(c, a);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
              if (m.getName().equals("rollback") && (a == null || a.length == 0)) {
                hook.run();
              }
              return result;
            });
      }

      @Override
      public Connection getConnection(String user, String password) throws SQLException {
        return getConnection();
      }

      @Override
      public PrintWriter getLogWriter() {
        return null;
      }

      @Override
      public void setLogWriter(PrintWriter out) {}

      @Override
      public void setLoginTimeout(int seconds) {}

      @Override
      public int getLoginTimeout() {
        return 0;
      }

      @Override
      public Logger getParentLogger() {
        return Logger.getGlobal();
      }

      @Override
      public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
      }

      @Override
      public boolean isWrapperFor(Class<?> iface) {
        return false;
      }
    };
  }
}
