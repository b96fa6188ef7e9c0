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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Callbacks that never return: the callback timeout, and a stop after the grace period. */
@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
@Timeout(90)
class CallbackTimeoutTest {

  public record Task(long n, String mode) {}

  /** The doorbell's "awake" advisory lock key ('pgs1'), as pg_locks shows it. */
  private static final long AWAKE = 0x70677331L;

  private final TestDatabase db;

  CallbackTimeoutTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("create table effects(channel text, n bigint, primary key (channel, n))");
  }

  private static void effect(Connection c, String channel, long n) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("insert into effects(channel, n) values (?, ?)")) {
      ps.setString(1, channel);
      ps.setLong(2, n);
      ps.executeUpdate();
    }
  }

  /** A callback that waits for something that never comes, and swallows interrupts while it waits. */
  private static void hang(CountDownLatch never) {
    while (never.getCount() > 0) {
      try {
        never.await();
      } catch (InterruptedException e) {
        // careless: keeps waiting
      }
    }
  }

  @Test
  void aHungCallbackTimesOutIsRecordedAndRetriedWhileAReplacementWorkerKeepsTheChannelMoving() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    Map<Long, AtomicInteger> calls = new ConcurrentHashMap<>();
    ChannelDefinition ch =
        plain("hangs", Task.class, true, plainListener("Hangs#on", (t, inv) -> {
          Task task = inv.newValue(Task.class);
          calls.computeIfAbsent(task.n(), k -> new AtomicInteger()).incrementAndGet();
          Connection c = inv.resource(Connection.class);
          effect(c, "hangs", task.n());
          if (task.mode().equals("java")) {
            hang(never);
          } else if (task.mode().equals("sql")) {
            try (Statement s = c.createStatement()) {
              s.execute("select pg_sleep(3600)"); // a lock wait or a runaway query
            }
          }
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Listener l =
        Fixtures.listener(db, ch)
            .workers(1)
            .callbackTimeout(Duration.ofMillis(700))
            .retryPolicy(RetryPolicy.exponential(2, Duration.ofMillis(20), Duration.ofMillis(50)))
            .meterRegistry(meters)
            .build()) {
      inTransaction(db, c -> {
        notifier.send(c, new Task(1, "ok"));
        notifier.send(c, new Task(2, "java"));
        notifier.send(c, new Task(3, "ok"));
        notifier.send(c, new Task(4, "sql"));
        notifier.send(c, new Task(5, "ok"));
      });
      l.start();
      await(Duration.ofSeconds(40), "both hung notifications dead", () -> l.deadLetters().count("hangs") == 2);
      await(Duration.ofSeconds(10), "the others processed", () ->
          count(db, "select count(*) from effects where channel = 'hangs'") == 3);
      for (DeadLetter dead : l.deadLetters().list("hangs", 10)) {
        assertThat(dead.attempts()).isEqualTo(2);
        assertThat(dead.lastError())
            .contains("CallbackTimeoutException")
            .contains("on channel 'hangs' timed out after PT0.7S (callbackTimeout)")
            .contains("was interrupted and replaced");
      }
      assertThat(l.deadLetters().list("hangs", 10).get(0).lastError()).as("where it hung").contains("CallbackTimeoutTest.hang");
      assertThat(calls.get(2L).get()).as("once per attempt").isEqualTo(2);
      assertThat(calls.get(4L).get()).as("once per attempt").isEqualTo(2);
      assertThat(count(db, "select count(*) from effects where channel = 'hangs' and n in (2, 4)")).isZero();
      assertThat(meters.get("pgpubsub.notifications.failed").tag("channel", "hangs").counter().count()).isEqualTo(4);
      assertThat(meters.get("pgpubsub.notifications.dead").tag("channel", "hangs").counter().count()).isEqualTo(2);

      // the replacement worker keeps going, and nobody keeps writers from sending their NOTIFY
      inTransaction(db, c -> notifier.send(c, new Task(6, "ok")));
      await(Duration.ofSeconds(10), "a new one processed", () ->
          count(db, "select count(*) from effects where channel = 'hangs' and n = 6") == 1);
      await(Duration.ofSeconds(10), "'awake' released once idle", () ->
          count(db, "select count(*) from pg_locks where locktype = 'advisory' and classid = " + AWAKE) == 0);
      assertThat(count(db, "select count(*) from pg_stat_activity where query like 'select pg_sleep(3600)%' and state = 'active'"))
          .as("the hung query's server process is gone")
          .isZero();
    } finally {
      never.countDown();
    }
  }

  @Test
  void aCallbackStillRunningAfterTheGracePeriodOfAStopCountsAFailedAttempt() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    ChannelDefinition ch =
        plain("stuck", Task.class, true, plainListener("Stuck#on", (t, inv) -> {
          started.countDown();
          hang(never);
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try {
      Listener l =
          Fixtures.listener(db, ch).workers(1).gracePeriod(Duration.ofMillis(200)).build().start();
      inTransaction(db, c -> notifier.send(c, new Task(1, "x")));
      assertThat(started.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      l.close();
      assertThat(count(db, "select attempts from pgpubsub_notification where channel = 'stuck'")).isEqualTo(1);
      try (Connection c = db.connect();
          Statement s = c.createStatement();
          var rs = s.executeQuery("select last_error, next_attempt_at is not null from pgpubsub_notification where channel = 'stuck'")) {
        rs.next();
        assertThat(rs.getString(1))
            .contains("the listener stopped while the callbacks of notification")
            .contains("longer than the grace period (PT0.2S)");
        assertThat(rs.getBoolean(2)).as("retried later, per the retry policy").isTrue();
      }
    } finally {
      never.countDown();
    }
  }
}
