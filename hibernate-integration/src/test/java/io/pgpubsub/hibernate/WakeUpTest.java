package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Listener;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.hibernate.model.Reading;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.Notifications;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The wake-up protocol under concurrent writers, through the real generated trigger and listener. The poll
 * interval is one hour, so every row must be delivered by a NOTIFY or by the listener's last look before it
 * sleeps (which waits for the writers that skipped their NOTIFY). A separate LISTEN connection counts the
 * NOTIFYs: fewer than the transactions shows that writers skipped them while the listener was awake.
 */
@PostgresTest
@Timeout(120)
class WakeUpTest {

  private static final int WRITERS = 6;
  private static final int PER_WRITER = 400;

  @Test
  void writersSkipNotifiesWhileTheListenerIsAwakeAndNoRowWaitsForThePoll(TestDatabase db) throws Exception {
    ReadingCounter counter = new ReadingCounter();
    try (SessionFactory sf = TestHibernate.build(db, Map.of(), Reading.class);
        Connection notifies = db.connect()) {
      Notifications.listen(notifies, "reading");
      Listener listener =
          HibernatePubSub.listener(sf)
              .name("wake-up")
              .channels("reading")
              .pollInterval(Duration.ofHours(1))
              .listenerFactory(type -> counter)
              .build()
              .start();
      int rows = WRITERS * PER_WRITER;
      try {
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        AtomicInteger nextId = new AtomicInteger();
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          writers.add(
              pool.submit(
                  () -> {
                    try (Connection c = db.connect();
                        PreparedStatement insert =
                            c.prepareStatement("INSERT INTO reading (id, value) VALUES (?, ?)")) {
                      for (int i = 0; i < PER_WRITER; i++) { // autocommit: one row per transaction
                        int id = nextId.incrementAndGet();
                        insert.setLong(1, id);
                        insert.setDouble(2, id / 10.0);
                        insert.executeUpdate();
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : writers) {
          f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counter.calls.size() < rows && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
      } finally {
        listener.close();
      }
      assertThat(counter.calls).as("readings called back (the poll never ran)").hasSize(rows);
      assertThat(counter.calls.values()).allSatisfy(n -> assertThat(n.get()).as("calls per reading").isEqualTo(1));
      int received = countUntilMarker(notifies, db);
      assertThat(received).as("NOTIFYs sent by %d one-row transactions", rows).isLessThan(rows);
    }
  }

  /**
   * The race the protocol exists for, made deterministic: a writer inserts while the listener is awake (its
   * callback held at a gate), so the writer skips its NOTIFY, and it commits only once the listener has found
   * the table empty and is on its way to sleep. The listener must wait for that writer (the CHECK lock) and
   * look once more; otherwise the row would wait for the one-hour poll. (The writer inserts at once after the
   * callback started: a callback held for more than Doorbell.STALL_MILLIS would make the process idle again.)
   */
  @Test
  void aWriterThatSkippedItsNotifyIsWaitedForBeforeTheListenerSleeps(TestDatabase db) throws Exception {
    ReadingCounter counter = new ReadingCounter();
    counter.gatedId = 1;
    try (SessionFactory sf = TestHibernate.build(db, Map.of(), Reading.class);
        Connection notifies = db.connect();
        Connection writer = db.connect();
        Connection observer = db.connect()) {
      Notifications.listen(notifies, "reading");
      Listener listener =
          HibernatePubSub.listener(sf)
              .name("wake-up-race")
              .channels("reading")
              .workers(1)
              .pollInterval(Duration.ofHours(1))
              .listenerFactory(type -> counter)
              .build()
              .start();
      try {
        // first let the listener settle: a warm-up row called back, and its only worker asleep, so that
        // reading 1's NOTIFY is what wakes it (a wake-up left over from start would hide a missing last look)
        try (Statement s = writer.createStatement()) {
          s.execute("INSERT INTO reading (id, value) VALUES (0, 0.0)");
        }
        waitUntil("reading 0 called back", () -> counter.calls.containsKey(0L));
        waitUntil("the worker asleep", WakeUpTest::workerAsleep);
        countUntilMarker(notifies, db); // reading 0's NOTIFY, if it sent one (the listener may still have been scanning)
        try (Statement s = writer.createStatement()) {
          s.execute("INSERT INTO reading (id, value) VALUES (1, 1.0)"); // wakes the listener
        }
        assertThat(counter.atGate.await(30, TimeUnit.SECONDS)).as("callback of reading 1 started").isTrue();
        // the doorbell's own thread releases IDLE once the first claim found rows: from then on writers skip
        waitUntil("the listener awake (IDLE released)", () -> advisoryLocks(observer, ChannelNames.IDLE_LOCK, true) == 0);
        writer.setAutoCommit(false);
        try (Statement s = writer.createStatement()) {
          s.execute("INSERT INTO reading (id, value) VALUES (2, 2.0)"); // the listener is awake: no NOTIFY
        }
        counter.gate.countDown();
        waitUntil(
            "the listener waits for the writer (CHECK lock)",
            () -> advisoryLocks(observer, ChannelNames.CHECK_LOCK, false) == 1);
        writer.commit();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!counter.calls.containsKey(2L) && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertThat(countUntilMarker(notifies, db)).as("NOTIFYs: reading 1's only").isEqualTo(1);
      } finally {
        counter.gate.countDown();
        listener.close();
      }
      assertThat(counter.calls.keySet()).as("readings called back (the poll never ran)").containsExactlyInAnyOrder(0L, 1L, 2L);
    }
  }

  /** The listener's worker thread is parked in its wait for a wake-up. */
  private static boolean workerAsleep() {
    for (var e : Thread.getAllStackTraces().entrySet()) {
      if (e.getKey().getName().startsWith("pgpubsub-worker-")) {
        for (StackTraceElement frame : e.getValue()) {
          if (frame.getClassName().endsWith(".Waiter") && frame.getMethodName().equals("await")) {
            return e.getKey().getState() == Thread.State.TIMED_WAITING;
          }
        }
        return false;
      }
    }
    return false;
  }

  private interface Check {
    boolean holds() throws Exception;
  }

  private static void waitUntil(String what, Check check) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!check.holds()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(1);
    }
  }

  /** NOTIFYs on "reading" received before a marker sent after all the writers committed. */
  private static int countUntilMarker(Connection listening, TestDatabase db) throws Exception {
    try (Connection sender = db.connect()) {
      return Notifications.payloadsBeforeMarker(listening, sender, "reading").size();
    }
  }

  /** Advisory locks with first key {@code lock}, granted or waited for, as pg_locks shows them. */
  private static long advisoryLocks(Connection observer, int lock, boolean granted) throws Exception {
    try (Statement s = observer.createStatement();
        var rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted = " + granted
                    + " AND classid = " + lock + "::oid")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
