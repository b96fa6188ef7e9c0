package io.pgpubsub;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, item 8: wake-ups around stops and hung callbacks. Several listener processes (separate Listener
 * instances, each with its own connections and advisory locks, as separate JVMs would have) share a lockable
 * channel; every process but the one under test polls once an hour, so a row reaches them only through a
 * NOTIFY. Writers commit one row per transaction through {@link Notifier}, which follows the generated
 * trigger's wake-up rule. Each row must be called back within {@link #BOUND} of its commit (or of the stop
 * that released it): generous for a loaded 2-core machine, and three orders of magnitude below the poll.
 */
@PostgresTest
@Timeout(120)
class WakeUpFaultTest {

  private static final Duration BOUND = Duration.ofSeconds(2);

  private final Map<Long, Long> committedAt = new ConcurrentHashMap<>();
  private final Map<Long, Long> calledBackAt = new ConcurrentHashMap<>();
  private final Map<Long, String> calledBackBy = new ConcurrentHashMap<>();

  @BeforeEach
  void reset(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("truncate pgpubsub_notification");
  }

  /**
   * A rolling deploy: process P is awake (its callback of job 1 holds a batch of six) while writers commit,
   * and is stopped gracefully; its callback does not return within the grace period, so the stop rolls the
   * batch back. Process Q, polling once an hour, must call back every row: those committed while P was awake
   * (the writers see Q idle and wake it) and P's six released rows (P's stop wakes Q once the batch is rolled
   * back).
   */
  @Test
  void stoppingTheAwakeProcessWhileWritersCommitLeavesNothingToThePoll(TestDatabase db) throws Exception {
    CountDownLatch atGate = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    Listener p =
        listener(db, "P", 1, 10, job -> {
          if (job == 1) {
            atGate.countDown();
            never.await(); // until interrupted by the stop
          }
        }).gracePeriod(Duration.ofMillis(300)).build().start();
    Listener q = null;
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      for (long n = 1; n <= 6; n++) {
        send(writer, n, false);
      }
      commit(writer, 1, 6);
      assertThat(atGate.await(30, TimeUnit.SECONDS)).as("P's callback of job 1 started: P is awake").isTrue();
      q = listener(db, "Q", 2, 10, job -> {}).build().start();
      for (long n = 7; n <= 26; n++) {
        send(writer, n, true); // P is awake, Q idle
      }
      AtomicReference<Long> stopped = new AtomicReference<>();
      Thread stopper =
          new Thread(
              () -> {
                p.close();
                stopped.set(System.nanoTime());
              },
              "stop-P");
      stopper.start();
      for (long n = 27; !stopped(stopped) || n <= 46; n++) {
        send(writer, n, true); // while P stops, and a little after
      }
      stopper.join(30_000);
      long released = stopped.get();
      for (long n = 1; n <= 6; n++) {
        committedAt.put(n, released); // these could only be called back once P had released them
      }
      awaitAllCalledBack();
      assertThat(calledBackBy).as("every job called back by Q").allSatisfy((n, by) -> assertThat(by).isEqualTo("Q"));
    } finally {
      never.countDown();
      p.close();
      if (q != null) {
        q.close();
      }
    }
    assertLatency();
  }

  /**
   * One hung callback in process P (2 workers) must not slow the channel down: writers keep waking Q (idle,
   * polling once an hour), and P's other worker, and every row is called back within the bound.
   */
  @Test
  void oneHungCallbackLeavesTheOtherProcessesTheirNormalLatency(TestDatabase db) throws Exception {
    CountDownLatch atGate = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Listener p =
        listener(db, "P", 2, 1, job -> {
          if (job == 1) {
            atGate.countDown();
            release.await();
          }
        }).build().start();
    Listener q = null;
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      send(writer, 1, true);
      assertThat(atGate.await(30, TimeUnit.SECONDS)).as("P's callback of job 1 hangs").isTrue();
      q = listener(db, "Q", 2, 10, job -> {}).build().start();
      for (long n = 2; n <= 41; n++) {
        send(writer, n, true);
      }
      committedAt.remove(1L);
      awaitAllCalledBack();
    } finally {
      release.countDown();
      p.close();
      if (q != null) {
        q.close();
      }
    }
    assertLatency();
  }

  /**
   * The same within one process: P alone, 2 workers, one of them hung. Its other worker must keep the channel
   * moving (the process does not stay "awake" because of a worker that stopped claiming).
   */
  @Test
  void oneHungCallbackDoesNotHoldUpTheOtherWorkersOfItsProcess(TestDatabase db) throws Exception {
    CountDownLatch atGate = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Listener p =
        listener(db, "P", 2, 1, job -> {
          if (job == 1) {
            atGate.countDown();
            release.await();
          }
        }).build().start();
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      send(writer, 1, true);
      assertThat(atGate.await(30, TimeUnit.SECONDS)).as("P's callback of job 1 hangs").isTrue();
      for (long n = 2; n <= 21; n++) {
        send(writer, n, true);
      }
      committedAt.remove(1L);
      awaitAllCalledBack();
    } finally {
      release.countDown();
      p.close();
    }
    assertLatency();
  }

  // --- helpers

  @FunctionalInterface
  interface JobCallback {
    void on(long job) throws Exception;
  }

  private Listener.Builder listener(TestDatabase db, String name, int workers, int batch, JobCallback callback) {
    ChannelDefinition channel =
        ListenerProcess.channel(
            (t, inv) -> {
              long n = inv.newValue(ListenerProcess.Job.class).n();
              callback.on(n);
              calledBackAt.putIfAbsent(n, System.nanoTime());
              calledBackBy.put(n, name);
            });
    return Fixtures.listener(db, channel)
        .name(name)
        .workers(workers)
        .batchSize(batch)
        .pollInterval(Duration.ofHours(1));
  }

  private static final Notifier NOTIFIER = Notifier.create("public", List.of(ListenerProcess.channel((t, inv) -> {})));

  /** Sends job {@code n}; with {@code commit}, commits it alone and records when. */
  private void send(Connection c, long n, boolean commit) throws Exception {
    NOTIFIER.send(c, new ListenerProcess.Job(n, "job " + n));
    if (commit) {
      commit(c, n, n);
    }
    Thread.onSpinWait();
  }

  private void commit(Connection c, long from, long to) throws Exception {
    c.commit();
    long now = System.nanoTime();
    for (long n = from; n <= to; n++) {
      committedAt.put(n, now);
    }
    // writers commit one after another, about every 20 ms
    long until = now + TimeUnit.MILLISECONDS.toNanos(20);
    while (System.nanoTime() - until < 0) {
      Thread.onSpinWait();
    }
  }

  private static boolean stopped(AtomicReference<Long> stopped) {
    return stopped.get() != null;
  }

  private void awaitAllCalledBack() throws Exception {
    Fixtures.await(
        Duration.ofSeconds(30),
        "every job called back (the poll interval is an hour)",
        () -> calledBackAt.keySet().containsAll(committedAt.keySet()));
  }

  private void assertLatency() {
    List<String> late = new ArrayList<>();
    long worst = 0;
    for (Map.Entry<Long, Long> e : committedAt.entrySet()) {
      long millis = TimeUnit.NANOSECONDS.toMillis(calledBackAt.get(e.getKey()) - e.getValue());
      worst = Math.max(worst, millis);
      if (millis > BOUND.toMillis()) {
        late.add("job " + e.getKey() + ": " + millis + " ms");
      }
    }
    System.out.printf("%d jobs, slowest called back %d ms after its commit%n", committedAt.size(), worst);
    assertThat(late).as("jobs called back later than %s after their commit", BOUND).isEmpty();
  }
}
