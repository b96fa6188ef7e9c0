package io.pgpubsub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.StreamConsumer;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.Streams;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code pgpubsub status} shows streams (docs/streams.md): events, tail, watermark, consumers' position and lag. */
@PostgresTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamStatusCliTest {

  @Test
  void statusShowsStreamsAndConsumers(TestDatabase db) throws Exception {
    Streams streams = Streams.create("public");
    List<StreamPosition> positions = new ArrayList<>();
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
      String before = status(db);
      assertThat(before).doesNotContain("STREAM");
      streams.install(c);
      for (int n = 0; n < 10; n++) {
        positions.add(streams.append(c, "orders", Map.of("n", n)));
      }
      streams.prune(c, "orders", null, 8);
      StreamConsumer.runBatch(streams, c, "orders", "indexer", 5, (tx, events) -> {});
    }
    String out = status(db);
    assertThat(out)
        .containsPattern("STREAM\\s+EVENTS\\s+OLDEST\\s+TAIL\\s+PRUNED UP TO")
        .containsPattern("orders\\s+8\\s+\\S+\\s+" + positions.get(9) + "\\s+" + positions.get(1))
        .containsPattern("orders\\s+indexer\\s+" + positions.get(6) + "\\s+3\\s");
  }

  private static String status(TestDatabase db) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        PgPubSubCli.execute(
            new String[] {"status", "--jdbc-url=" + db.jdbcUrlWithCredentials()},
            new PrintWriter(out, true),
            new PrintWriter(err, true));
    assertThat(code).as(err.toString()).isZero();
    return out.toString();
  }
}
