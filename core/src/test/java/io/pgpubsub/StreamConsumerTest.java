package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Named consumers (issue 25): the position is stored in the transaction of the handler's database work, so its
 * effects are exactly-once across a failing handler, a restart, a SIGKILL in the middle of a batch and two
 * runners of one consumer at once.
 */
@PostgresTest
@Timeout(240)
class StreamConsumerTest {

  private final TestDatabase db;
  private final Streams streams = Streams.create("public");

  StreamConsumerTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void reset() throws SQLException {
    try (Connection c = db.connect()) {
      streams.install(c);
    }
    db.execute("drop table if exists applied; create table applied(seq bigint generated always as identity, n int not null);"
        + " delete from pgpubsub_stream_consumer; delete from pgpubsub_stream_event");
  }

  /**
   * A handler that fails in the middle of a batch (after inserting rows), and a runner whose batch fails at event
   * 200 every time (as a crash would) closed there, then a new runner: every event is applied once, in position order, and the stored position is the last event's.
   */
  @Test
  void resumesAfterARestartWithExactlyOnceEffects() throws Exception {
    List<StreamPosition> positions = append("orders", 300);
    AtomicBoolean failedOnce = new AtomicBoolean();
    AtomicInteger stuck = new AtomicInteger();
    try (StreamConsumer first = consumer("orders", "indexer", failedOnce, 200, stuck)) {
      // the first runner cannot get past event 200 (its batch fails there every time, as a crash would)
      await(Duration.ofSeconds(60), "200 applied and the batch at 200 failing",
          () -> count(db, "select count(*) from applied") == 200 && stuck.get() >= 2);
    }
    assertThat(failedOnce).isTrue();
    long afterFirst = count(db, "select count(*) from applied");
    assertThat(afterFirst).isEqualTo(200);
    try (Connection c = db.connect()) {
      assertThat(StreamConsumer.position(streams, c, "orders", "indexer")).isEqualTo(positions.get((int) afterFirst - 1));
    }
    try (StreamConsumer second = consumer("orders", "indexer", failedOnce, Integer.MAX_VALUE, stuck)) {
      await(Duration.ofSeconds(60), "300 applied", () -> count(db, "select count(*) from applied") >= 300);
    }
    assertExactlyOnceInOrder(300);
    try (Connection c = db.connect()) {
      assertThat(StreamConsumer.position(streams, c, "orders", "indexer")).isEqualTo(positions.get(299));
      assertThat(StreamConsumer.position(streams, c, "orders", "other")).isEqualTo(StreamPosition.BEGINNING);
    }
  }

  /** Two runners of one consumer at once, while events are still being appended: each event applied once. */
  @Test
  void twoRunnersOfOneConsumerApplyEachEventOnce() throws Exception {
    append("twice", 100);
    try (StreamConsumer a = consumer("twice", "c", new AtomicBoolean(true), Integer.MAX_VALUE, new AtomicInteger());
        StreamConsumer b = consumer("twice", "c", new AtomicBoolean(true), Integer.MAX_VALUE, new AtomicInteger())) {
      append("twice", 400);
      await(Duration.ofSeconds(60), "500 applied", () -> count(db, "select count(*) from applied") >= 500);
    }
    assertExactlyOnceInOrder(500);
  }

  /**
   * SIGKILL: a consumer process is killed while its batch has inserted rows but not committed; a new process
   * resumes from the stored position: every event is applied exactly once.
   */
  @Test
  void resumesAfterKillMinus9MidBatchWithExactlyOnceEffects() throws Exception {
    append("killed", 300);
    try (ChildJvm victim = child("victim", 137)) {
      await(Duration.ofSeconds(120), "the victim blocked mid-batch", () -> victim.printed("BLOCKED"));
      assertThat(count(db, "select count(*) from applied")).isLessThan(137); // its batch is not committed
      victim.process.destroyForcibly(); // SIGKILL
      victim.process.waitFor();
    }
    try (ChildJvm heir = child("heir", -1)) {
      await(Duration.ofSeconds(120), "300 applied", () -> count(db, "select count(*) from applied") >= 300);
    }
    assertExactlyOnceInOrder(300);
  }

  /** A handler that swallows an SQL error fails its batch (nothing committed, the position stays). */
  @Test
  void aHandlerThatLeavesItsTransactionFailedCommitsNothing() throws Exception {
    append("swallow", 3);
    try (Connection c = db.connect()) {
      assertThatThrownBy(
              () -> StreamConsumer.runBatch(streams, c, "swallow", "s", 10, (tx, events) -> {
                tx.createStatement().execute("insert into applied(n) values (1)");
                try {
                  tx.createStatement().execute("select 1/0");
                } catch (SQLException swallowed) {
                  // caught: the transaction is failed
                }
              }))
          .hasMessageContaining("left its transaction failed");
      assertThatThrownBy(() -> StreamConsumer.runBatch(streams, c, "swallow", "s", 10, (tx, events) -> tx.commit()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("must not call Connection.commit()");
      assertThat(StreamConsumer.position(streams, c, "swallow", "s")).isEqualTo(StreamPosition.BEGINNING);
      assertThat(StreamConsumer.runBatch(streams, c, "swallow", "s", 10, (tx, events) -> {})).isEqualTo(3);
      assertThat(StreamConsumer.runBatch(streams, c, "swallow", "s", 10, (tx, events) -> {})).isZero();
    }
    assertThat(count(db, "select count(*) from applied")).isZero();
  }

  /** Status: each stream's count, tail and watermark, and each consumer's position and lag. */
  @Test
  void statusShowsPositionsRetentionAndLag() throws Exception {
    List<StreamPosition> positions = append("status", 10);
    try (Connection c = db.connect()) {
      assertThat(StreamConsumer.runBatch(streams, c, "status", "fast", 7, (tx, events) -> {})).isEqualTo(7);
      assertThat(StreamConsumer.runBatch(streams, c, "status", "slow", 2, (tx, events) -> {})).isEqualTo(2);
      assertThat(streams.prune(c, "status", null, 5)).isEqualTo(5);
      StreamStatus s =
          streams.status(c).stream().filter(x -> x.stream().equals("status")).findFirst().orElseThrow();
      assertThat(s.events()).isEqualTo(5);
      assertThat(s.tail()).isEqualTo(positions.get(9));
      assertThat(s.prunedUpTo()).isEqualTo(positions.get(4));
      assertThat(s.prunedAt()).isNotNull();
      assertThat(s.oldestAt()).isNotNull();
      assertThat(s.consumers())
          .extracting(StreamStatus.Consumer::consumer, StreamStatus.Consumer::position, StreamStatus.Consumer::lag,
              StreamStatus.Consumer::pruned)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("fast", positions.get(6), 3L, false),
              org.assertj.core.groups.Tuple.tuple("slow", positions.get(1), 5L, true));
    }
  }

  private ChildJvm child(String name, int blockAt) throws Exception {
    return ChildJvm.start(StreamConsumerProcess.class, name, List.of("-Xmx96m"), false,
        db.jdbcUrlWithCredentials(), "killed", "indexer", Integer.toString(blockAt));
  }

  private StreamConsumer consumer(
      String stream, String name, AtomicBoolean failedOnce, int failAt, AtomicInteger failuresAt) {
    return StreamConsumer.builder(db.dataSource(), stream, name)
        .batchSize(25)
        .pollInterval(Duration.ofMillis(20))
        .handler(
            (tx, events) -> {
              for (StreamEvent e : events) {
                int n = e.payloadAs(StreamTest.Ev.class).n();
                try (PreparedStatement ps = tx.prepareStatement("insert into applied(n) values (?)")) {
                  ps.setInt(1, n);
                  ps.executeUpdate();
                }
                if (n == 130 && failedOnce.compareAndSet(false, true)) {
                  throw new IllegalStateException("failing once in the middle of a batch");
                }
                if (n >= failAt) {
                  failuresAt.incrementAndGet();
                  throw new IllegalStateException("this runner cannot get past " + failAt);
                }
              }
            })
        .start();
  }

  private List<StreamPosition> append(String stream, int count) throws SQLException {
    List<StreamPosition> positions = new ArrayList<>();
    int from = (int) count(db, "select count(*) from pgpubsub_stream_event where stream = '" + stream + "'");
    try (Connection c = db.connect()) {
      for (int n = from; n < from + count; n++) {
        positions.add(streams.append(c, stream, new StreamTest.Ev(0, n)));
      }
    }
    return positions;
  }

  private void assertExactlyOnceInOrder(int total) throws SQLException {
    List<Integer> applied = new ArrayList<>();
    try (Connection c = db.connect();
        ResultSet rs = c.createStatement().executeQuery("select n from applied order by seq")) {
      while (rs.next()) {
        applied.add(rs.getInt(1));
      }
    }
    List<Integer> expected = new ArrayList<>();
    for (int n = 0; n < total; n++) {
      expected.add(n);
    }
    assertThat(applied).isEqualTo(expected);
  }
}
