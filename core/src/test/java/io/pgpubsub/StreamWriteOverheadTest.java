package io.pgpubsub;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The write cost of a stream against today's lockable channel, same writes: one record per transaction, from one
 * connection, alternating blocks of 500 after a warm-up (no listener running, so the lockable channel sends no
 * NOTIFY while the stream always does). The ratio (lockable time / stream time) is printed (docs/streams.md) and
 * held to a loose bound (the machine is shared).
 */
@PostgresTest
@Timeout(300)
class StreamWriteOverheadTest {

  public record Placed(long order, String status) {}

  private final TestDatabase db;

  StreamWriteOverheadTest(TestDatabase db) {
    this.db = db;
  }

  @Test
  void streamWritesCostAboutWhatLockableWritesCost() throws Exception {
    Fixtures.install(db);
    Streams streams = Streams.create("public");
    Notifier notifier = Notifier.create("public", List.of(Fixtures.plain("placed", Placed.class, true)));
    try (Connection c = db.connect()) {
      streams.install(c);
      try (var rs = c.createStatement().executeQuery(
          "select current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')")) {
        rs.next();
        System.out.println("stream: PostgreSQL " + rs.getString(1) + ", fsync=" + rs.getString(2) + ", synchronous_commit="
            + rs.getString(3));
      }
      c.setAutoCommit(false);
      long streamNanos = 0;
      long lockableNanos = 0;
      for (int round = 0; round < 7; round++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < 500; i++) {
          streams.append(c, "placed", new Placed(i, "PAID"));
          c.commit();
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < 500; i++) {
          notifier.send(c, new Placed(i, "PAID"));
          c.commit();
        }
        long t2 = System.nanoTime();
        if (round > 0) { // round 0 warms up
          streamNanos += t1 - t0;
          lockableNanos += t2 - t1;
        }
      }
      double ratio = (double) lockableNanos / streamNanos;
      System.out.printf("stream: 3,000 single-event transactions: stream %.1f us/tx, lockable channel %.1f us/tx, ratio %.2fx%n",
          streamNanos / 3000e3, lockableNanos / 3000e3, ratio);
      assertThat(ratio).isGreaterThan(0.5);
    }
  }
}
