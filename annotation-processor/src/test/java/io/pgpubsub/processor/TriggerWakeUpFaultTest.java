package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Listener;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, item 8, through the generated trigger: wake-ups around a stop and hung callbacks. Core's
 * WakeUpFaultTest sends through {@code Notifier}; here writers are plain SQL INSERTs into the media table of
 * the good/plain fixture, whose trigger is the one the processor generates, so the trigger's own rule decides
 * whether a listener is woken. Several listener processes (separate Listener instances, each with its own
 * connections and advisory locks, as separate JVMs would have) share the channel; every one polls once an
 * hour, so a row reaches a process only through a NOTIFY (or a scan the protocol guarantees). Each row must be
 * called back within {@link #BOUND} of its commit (or of the stop that released it), as the issue asks.
 *
 * <p>On 8c7bcb1 (one exclusive 'awake' lock, held by a draining process, made writers skip their NOTIFY) all
 * three fail: the stop case with rows called back 1.0 to 1.9 s late (Q got them only once P's stop released
 * 'awake' and a later writer notified), the two hung-callback cases with rows never called back in 30 s.
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TriggerWakeUpFaultTest {

  /**
   * The bound: "must deliver the rows within a second". Measured on the shared, loaded 2-core machine:
   * slowest 121 ms (stop), 66 ms (hung callback, other process), 502 ms (hung callback, same process: its other
   * worker goes idle once the hung one has not claimed for Doorbell.STALL_MILLIS, 500 ms).
   */
  private static final Duration BOUND = Duration.ofSeconds(1);

  private static final String SCHEMA = "fault";

  private final TestDatabase db;
  private final Map<Long, Long> committedAt = new ConcurrentHashMap<>();
  private final Map<Long, Long> calledBackAt = new ConcurrentHashMap<>();
  private final Map<Long, String> calledBackBy = new ConcurrentHashMap<>();

  TriggerWakeUpFaultTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  void install() throws Exception {
    MediaInstallation.install(db, SCHEMA);
  }

  @BeforeEach
  void reset() {
    db.execute("TRUNCATE " + SCHEMA + ".media, " + SCHEMA + ".pgpubsub_notification");
    committedAt.clear();
    calledBackAt.clear();
    calledBackBy.clear();
  }

  /**
   * A rolling deploy: process P is awake (its callback of row 1 holds a batch of six) while writers commit,
   * and is stopped gracefully; its callback does not return within the grace period, so the stop rolls the
   * batch back. Process Q, polling once an hour, must call back every row: those committed while P was awake
   * (Q is idle, so their triggers wake it) and P's six released rows (P's stop wakes Q once the batch is
   * rolled back).
   */
  @Test
  void stoppingTheAwakeProcessWhileWritersCommitLeavesNothingToThePoll() throws Exception {
    CountDownLatch atGate = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    Listener p =
        listener("P", 1, 10, id -> {
          if (id == 1) {
            atGate.countDown();
            never.await(); // until interrupted by the stop
          }
        }).gracePeriod(Duration.ofMillis(300)).build().start();
    Listener q = null;
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      settle(writer, "P");
      for (long n = 1; n <= 6; n++) {
        insert(writer, n, false);
      }
      commit(writer, 1, 6);
      assertThat(atGate.await(30, TimeUnit.SECONDS)).as("P's callback of row 1 started: P is awake").isTrue();
      q = listener("Q", 2, 10, id -> {}).build().start();
      // P stays awake longer than the bound while writers commit: a row these writers commit reaches Q through
      // its own trigger's NOTIFY, not through a writer that commits after P has stopped
      long awakeUntil = System.nanoTime() + BOUND.toNanos() + TimeUnit.MILLISECONDS.toNanos(500);
      long n7 = 7;
      for (; n7 <= 26 || System.nanoTime() - awakeUntil < 0; n7++) {
        insert(writer, n7, true); // P is awake, Q idle
      }
      AtomicReference<Long> stopped = new AtomicReference<>();
      Listener stopping = p;
      Thread stopper =
          new Thread(
              () -> {
                stopping.close();
                stopped.set(System.nanoTime());
              },
              "stop-P");
      stopper.start();
      long writingUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (long n = n7; n <= n7 + 19 || (stopped.get() == null && System.nanoTime() - writingUntil < 0); n++) {
        insert(writer, n, true); // while P stops, and a little after
      }
      stopper.join(30_000);
      assertThat(stopped.get()).as("P stopped within 30 s").isNotNull();
      long released = stopped.get();
      for (long n = 1; n <= 6; n++) {
        committedAt.put(n, released); // these could only be called back once P had released them
      }
      awaitAllCalledBack();
      assertThat(calledBackBy).as("every row called back by Q").allSatisfy((n, by) -> assertThat(by).isEqualTo("Q"));
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
   * One hung callback in process P (2 workers) must not slow the channel down: the triggers keep waking Q
   * (idle, polling once an hour) and P's other worker, and every row is called back within the bound.
   */
  @Test
  void oneHungCallbackLeavesTheOtherProcessesTheirNormalLatency() throws Exception {
    CountDownLatch atGate = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Listener p =
        listener("P", 2, 1, id -> {
          if (id == 1) {
            atGate.countDown();
            release.await();
          }
        }).build().start();
    Listener q = null;
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      settle(writer, "P");
      insert(writer, 1, true);
      assertThat(atGate.await(30, TimeUnit.SECONDS)).as("P's callback of row 1 hangs").isTrue();
      q = listener("Q", 2, 10, id -> {}).build().start();
      for (long n = 2; n <= 41; n++) {
        insert(writer, n, true);
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
   * moving (the process must not count as draining because of a worker that stopped claiming).
   */
  @Test
  void oneHungCallbackDoesNotHoldUpTheOtherWorkersOfItsProcess() throws Exception {
    CountDownLatch atGate = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Listener p =
        listener("P", 2, 1, id -> {
          if (id == 1) {
            atGate.countDown();
            release.await();
          }
        }).build().start();
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      settle(writer, "P");
      insert(writer, 1, true);
      assertThat(atGate.await(30, TimeUnit.SECONDS)).as("P's callback of row 1 hangs").isTrue();
      for (long n = 2; n <= 21; n++) {
        insert(writer, n, true);
      }
      committedAt.remove(1L);
      awaitAllCalledBack();
    } finally {
      release.countDown();
      p.close();
    }
    // within one process, the other worker goes idle (and gets the NOTIFYs) only once the hung one has not
    // claimed for Doorbell.STALL_MILLIS (500 ms): that wait comes on top of the other cases' bound
    assertLatency(BOUND.plusMillis(500));
  }

  // --- helpers

  @FunctionalInterface
  interface IdCallback {
    void on(long id) throws Exception;
  }

  private Listener.Builder listener(String name, int workers, int batch, IdCallback callback) {
    return MediaInstallation.listener(
            db,
            SCHEMA,
            name,
            row -> {
              long id = row.get("id").asLong();
              callback.on(id);
              calledBackAt.putIfAbsent(id, System.nanoTime());
              calledBackBy.put(id, name);
            })
        .workers(workers)
        .batchSize(batch);
  }

  /**
   * Lets the process that was just started settle, as a process of a rolling deploy has: it calls back one
   * warm-up row (id 0, not measured) and goes idle. A process whose first row arrives while it is still going
   * through its own start-up is another case (on 8c7bcb1 such a process drained without taking 'awake', which
   * hid the faults below).
   */
  private void settle(Connection writer, String process) throws Exception {
    MediaInstallation.insert(writer, SCHEMA, 0, "warm-up");
    writer.commit();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!process.equals(calledBackBy.get(0L))) {
      assertThat(System.nanoTime() - deadline).as("%s called back the warm-up row", process).isNegative();
      Thread.sleep(5);
    }
    MediaInstallation.awaitIdle(db, SCHEMA);
    calledBackAt.remove(0L);
    calledBackBy.remove(0L);
  }

  /** Inserts row {@code id} with plain SQL; with {@code commit}, commits it alone and records when. */
  private void insert(Connection c, long id, boolean commit) throws Exception {
    MediaInstallation.insert(c, SCHEMA, id, "row " + id);
    if (commit) {
      commit(c, id, id);
    }
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

  private void awaitAllCalledBack() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!calledBackAt.keySet().containsAll(committedAt.keySet())) {
      if (System.nanoTime() - deadline > 0) {
        List<Long> missing = new ArrayList<>(committedAt.keySet());
        missing.removeAll(calledBackAt.keySet());
        missing.sort(null);
        throw new AssertionError(
            "rows not called back within 30 s (the poll interval is an hour): " + missing.size() + " of "
                + committedAt.size() + ", " + missing);
      }
      Thread.sleep(5);
    }
  }

  private void assertLatency() {
    assertLatency(BOUND);
  }

  private void assertLatency(Duration bound) {
    List<String> late = new ArrayList<>();
    long worst = 0;
    for (Map.Entry<Long, Long> e : committedAt.entrySet()) {
      long millis = TimeUnit.NANOSECONDS.toMillis(calledBackAt.get(e.getKey()) - e.getValue());
      worst = Math.max(worst, millis);
      if (millis > bound.toMillis()) {
        late.add("row " + e.getKey() + ": " + millis + " ms");
      }
    }
    System.out.printf("%d rows, slowest called back %d ms after its commit%n", committedAt.size(), worst);
    assertThat(late).as("rows called back later than %s after their commit", bound).isEmpty();
  }
}
