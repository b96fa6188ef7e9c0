package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.Listener;
import io.pgpubsub.internal.ChannelNames;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The wake-up protocol (core's Doorbell) with the generated trigger and real listeners: installations in two
 * schemas of one database with a same-named channel; no NOTIFY while no listener is present; a listener that
 * starts while a writer commits. Poll intervals are an hour, so only a NOTIFY or a scan the protocol guarantees
 * can deliver a row. A plain LISTEN connection of the test observes the NOTIFYs: it is not a listener process
 * (it holds no lock), so it sees what writers send, not what it causes.
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WakeUpProtocolTest {

  private final TestDatabase db;

  WakeUpProtocolTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  void install() throws Exception {
    for (String schema : List.of("s1", "s2", "s3")) {
      MediaInstallation.install(db, schema);
    }
  }

  /**
   * Issue 11, item 7: two installations (notification tables in s1 and s2) with a same-named channel "media".
   * s2's idle listener is no listener of s1 (s1's writers send no NOTIFY for it); each listener gets only its
   * own rows; and s1's listener being awake (its callback held) does not make s2's writers skip their NOTIFY:
   * s2's listener, polling once an hour, is woken at once.
   */
  @Test
  void installationsInTwoSchemasDoNotDisturbEachOther() throws Exception {
    Recorder one = new Recorder("a-hold");
    Recorder two = new Recorder(null);
    try (Connection observer = db.connect();
        Connection writer = db.connect()) {
      listen(observer, "s1:media", "s2:media");
      try (Listener second = listener("s2", two).build().start()) {
        awaitAsleep("s2");
        insert(writer, "s1", 1, "a1"); // no listener of s1 runs
        insert(writer, "s2", 1, "b1");
        two.await("b1");
        assertThat(notifiesUntilMarker(observer, writer)).as("NOTIFYs with only s2's listener running").containsExactly("s2:media");

        try (Listener first = listener("s1", one).build().start()) {
          one.await("a1"); // its start-up scan
          awaitAsleep("s2");
          insert(writer, "s1", 2, "a-hold");
          assertThat(one.atGate.await(30, TimeUnit.SECONDS)).as("s1's callback held: s1's listener awake").isTrue();
          insert(writer, "s2", 2, "b2");
          two.await("b2"); // the poll is an hour away: only a NOTIFY can deliver it
          one.gate.countDown();
          one.await("a-hold");
          insert(writer, "s1", 3, "a2");
          one.await("a2");
          awaitAsleep("s2");
          insert(writer, "s2", 3, "b3");
          two.await("b3");
        }
      }
      assertThat(one.titles).containsExactlyInAnyOrder("a1", "a-hold", "a2");
      assertThat(two.titles).containsExactlyInAnyOrder("b1", "b2", "b3");
    } finally {
      one.gate.countDown();
    }
  }

  /**
   * Issue 15: a writer sends no NOTIFY while no listener process is present; the row stays stored and the
   * next listener's start-up scan finds it; while that listener is idle, writers wake it; once it stopped,
   * they skip again.
   */
  @Test
  void noNotifyIsSentWhileNoListenerIsPresent() throws Exception {
    Recorder recorder = new Recorder(null);
    try (Connection observer = db.connect();
        Connection writer = db.connect()) {
      listen(observer, "s3:media");
      insert(writer, "s3", 1, "stored while nobody listens");
      insert(writer, "s3", 2, "and another");
      assertThat(notifiesUntilMarker(observer, writer)).as("NOTIFYs with no listener present").isEmpty();
      assertThat(count("SELECT count(*) FROM s3.pgpubsub_notification")).isEqualTo(2);

      try (Listener listener = listener("s3", recorder).build().start()) {
        recorder.await("stored while nobody listens");
        recorder.await("and another");
        awaitAsleep("s3");
        insert(writer, "s3", 3, "while a listener is idle");
        recorder.await("while a listener is idle");
        assertThat(notifiesUntilMarker(observer, writer)).as("NOTIFYs with an idle listener").containsExactly("s3:media");
      }
      notifiesUntilMarker(observer, writer); // the stopping listener's own wake-up for the others
      insert(writer, "s3", 4, "after the listener stopped");
      assertThat(notifiesUntilMarker(observer, writer)).as("NOTIFYs after the listener stopped").isEmpty();
      assertThat(count("SELECT count(*) FROM s3.pgpubsub_notification")).isEqualTo(1);
    } finally {
      db.execute("DELETE FROM s3.pgpubsub_notification");
    }
  }

  /**
   * Issue 15, the start-up race made deterministic: a writer's trigger runs while no listener is present (so
   * it skips its NOTIFY) and the writer commits only once a listener has started, after that listener's
   * LISTEN. The listener must not scan before that writer ended: its start waits on the CHECK lock the writer
   * holds (observed here in pg_locks, while start() has not returned), and its first scan then finds the row.
   * A writer that committed before the listener started is found by the same scan; one whose trigger runs
   * after the start sends a NOTIFY.
   */
  @Test
  void aListenerThatStartsWhileAWriterCommitsFindsTheRowInItsFirstScan() throws Exception {
    Recorder recorder = new Recorder(null);
    AtomicReference<Listener> started = new AtomicReference<>();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    try (Connection observer = db.connect();
        Connection before = db.connect();
        Connection racer = db.connect();
        Connection after = db.connect();
        Connection locks = db.connect()) {
      listen(observer, "s3:media");
      insert(before, "s3", 10, "committed before the start");
      racer.setAutoCommit(false);
      insert(racer, "s3", 11, "committed during the start"); // nobody present: the trigger skips the NOTIFY

      Thread starter =
          new Thread(
              () -> {
                try {
                  started.set(listener("s3", recorder).pollInterval(Duration.ofHours(1)).build().start());
                } catch (Throwable t) {
                  failed.set(t);
                }
              },
              "start-listener");
      starter.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!checkWaiting(locks, "s3")) {
        assertThat(failed.get()).isNull();
        assertThat(System.nanoTime()).as("the starting listener waits on CHECK").isLessThan(deadline);
        Thread.onSpinWait();
      }
      assertThat(starter.isAlive()).as("start() has not returned while the writer is open").isTrue();
      assertThat(recorder.titles).as("nothing scanned yet").isEmpty();
      racer.commit();
      starter.join(30_000);
      assertThat(failed.get()).isNull();
      assertThat(started.get()).isNotNull();
      try (Listener listener = started.get()) {
        recorder.await("committed before the start");
        recorder.await("committed during the start");
        assertThat(notifiesUntilMarker(observer, after)).as("NOTIFYs: none, the first scan found both").isEmpty();
        awaitAsleep("s3");
        insert(after, "s3", 12, "written after the start");
        recorder.await("written after the start");
        assertThat(notifiesUntilMarker(observer, after)).as("NOTIFYs: the later writer's").containsExactly("s3:media");
      }
    } finally {
      db.execute("DELETE FROM s3.pgpubsub_notification");
    }
  }

  // --- helpers

  /** Records the titles of the rows called back; holds the callback of {@code gated} at a gate. */
  static final class Recorder {
    final List<String> titles = new CopyOnWriteArrayList<>();
    final String gated;
    final CountDownLatch atGate = new CountDownLatch(1);
    final CountDownLatch gate = new CountDownLatch(1);

    Recorder(String gated) {
      this.gated = gated;
    }

    void on(ObjectNode row) throws InterruptedException {
      String title = row.get("title").asText();
      if (title.equals(gated)) {
        atGate.countDown();
        gate.await();
      }
      titles.add(title);
    }

    void await(String title) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!titles.contains(title)) {
        assertThat(System.nanoTime()).as("'%s' called back in 20 s (the poll interval is an hour)", title).isLessThan(deadline);
        Thread.sleep(5);
      }
    }
  }

  private Listener.Builder listener(String schema, Recorder recorder) {
    return MediaInstallation.listener(db, schema, "wake-" + schema, recorder::on);
  }

  private static void insert(Connection c, String schema, long id, String title) throws SQLException {
    MediaInstallation.insert(c, schema, id, title);
  }

  /**
   * LISTENs to {@code names} ("schema:channel", the names the triggers notify on) and to each bare channel name
   * too: a NOTIFY under a name not scoped by schema (as triggers sent before wake-ups were scoped) is then seen,
   * so "no NOTIFY" means none under any name.
   */
  private static void listen(Connection c, String... names) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String n : names) {
        s.execute("LISTEN \"" + n + "\"");
        s.execute("LISTEN \"" + n.substring(n.indexOf(':') + 1) + "\"");
      }
      s.execute("LISTEN marker");
    }
  }

  /** Channel names of the NOTIFYs received until a marker that {@code sender} sends now. */
  private static List<String> notifiesUntilMarker(Connection listening, Connection sender) throws SQLException {
    boolean auto = sender.getAutoCommit();
    sender.setAutoCommit(true);
    try (Statement s = sender.createStatement()) {
      s.execute("NOTIFY marker");
    }
    sender.setAutoCommit(auto);
    List<String> names = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    PGConnection pg = listening.unwrap(PGConnection.class);
    while (System.nanoTime() < deadline) {
      PGNotification[] batch = pg.getNotifications(1000);
      for (PGNotification n : batch == null ? new PGNotification[0] : batch) {
        if (n.getName().equals("marker")) {
          return names;
        }
        names.add(n.getName());
      }
    }
    throw new AssertionError("the marker did not arrive in 30 s; got " + names);
  }

  /** Some backend waits for the CHECK lock of media in {@code schema}. */
  private static boolean checkWaiting(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = ?::oid"
                + " AND objid = ?::oid")) {
      ps.setLong(1, ChannelNames.CHECK_LOCK & 0xffffffffL);
      ps.setLong(2, ChannelNames.lockKey(schema, "media") & 0xffffffffL);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }

  /** The listener of {@code schema} is idle: its doorbell connection holds IDLE. */
  private void awaitAsleep(String schema) throws Exception {
    MediaInstallation.awaitIdle(db, schema);
  }

  private long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
