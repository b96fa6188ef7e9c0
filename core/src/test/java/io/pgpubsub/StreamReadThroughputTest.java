package io.pgpubsub;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reading 200,000 stored events with {@link Streams#read} (pages of 1,000) against a plain JDBC reader of the same
 * rows (one ordered SELECT, fetch size 1,000, building the same objects). Alternating passes after a warm-up; the
 * ratio is printed (docs/streams.md) and held to a loose bound (the machine is shared).
 */
@PostgresTest
@Timeout(300)
class StreamReadThroughputTest {

  private static final int EVENTS = 200_000;

  private final TestDatabase db;
  private final Streams streams = Streams.create("public");

  StreamReadThroughputTest(TestDatabase db) {
    this.db = db;
  }

  @Test
  void streamReadKeepsUpWithPlainJdbc() throws Exception {
    try (Connection c = db.connect()) {
      streams.install(c);
      // 200 writer transactions of 1,000 events each
      for (int t = 0; t < EVENTS / 1000; t++) {
        c.createStatement().execute("insert into pgpubsub_stream_event (stream, payload) select 'bench',"
            + " jsonb_build_object('id', g, 'status', 'PAID', 'customer', 'c' || (g % 977)) from generate_series(1, 1000) g");
      }
      c.createStatement().execute("vacuum analyze pgpubsub_stream_event");
      stream(c);
      plain(c);
      long streamNanos = 0;
      long plainNanos = 0;
      for (int pass = 0; pass < 3; pass++) {
        long t0 = System.nanoTime();
        assertThat(stream(c)).isEqualTo(EVENTS);
        long t1 = System.nanoTime();
        assertThat(plain(c)).isEqualTo(EVENTS);
        long t2 = System.nanoTime();
        streamNanos += t1 - t0;
        plainNanos += t2 - t1;
      }
      double ratio = (double) plainNanos / streamNanos;
      System.out.printf("stream: read of %,d stored events, 3 passes: Streams.read %.0f ms/pass, plain JDBC %.0f ms/pass,"
          + " ratio %.2fx%n", EVENTS, streamNanos / 3e6, plainNanos / 3e6, ratio);
    }
  }

  private int stream(Connection c) throws SQLException {
    int n = 0;
    StreamPosition p = StreamPosition.BEGINNING;
    while (true) {
      StreamPage page = streams.read(c, "bench", p, 1000);
      if (page.events().isEmpty()) {
        return n;
      }
      n += page.events().size();
      p = page.next();
    }
  }

  private int plain(Connection c) throws SQLException {
    c.setAutoCommit(false); // a fetch size needs a transaction
    List<StreamEvent> batch = new ArrayList<>(1000);
    int n = 0;
    try (PreparedStatement ps = c.prepareStatement(
        "select xid::text, id, payload::text, created_at from pgpubsub_stream_event where stream = ? order by xid, id")) {
      ps.setFetchSize(1000);
      ps.setString(1, "bench");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Instant at = rs.getTimestamp(4).toInstant();
          batch.add(new StreamEvent("bench", new StreamPosition(Long.parseLong(rs.getString(1)), rs.getLong(2)), rs.getString(3), at));
          if (batch.size() == 1000) {
            n += batch.size();
            batch.clear();
          }
        }
      }
    } finally {
      c.commit();
      c.setAutoCommit(true);
    }
    return n + batch.size();
  }
}
