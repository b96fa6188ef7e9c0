package io.pgpubsub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.ChannelControl;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code pgpubsub status} shows listener processes (workers, busy, uptime, version) and paused channels. */
@PostgresTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessStatusCliTest {

  @Test
  void statusShowsProcessesAndPausedChannels(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    assertThat(status(db)).doesNotContain("PROCESS").doesNotContain("PAUSED");
    db.execute(
        "insert into pgpubsub_listener_stats(listener, channel, processed, rate_per_second, heartbeat_at,"
            + " process_started_at, workers, busy_workers, version) values"
            + " ('billing@100@host-a', 'orders', 10, 1.0, now(), now() - interval '3 hours', 4, 1, '1.2.3'),"
            + " ('billing@100@host-a', 'mail', 10, 1.0, now(), now() - interval '3 hours', 4, 1, '1.2.3'),"
            + " ('audit@100@host-a', 'orders', 10, 1.0, now(), now() - interval '3 hours', 2, 2, '1.2.3'),"
            + " ('old@200@host-b', 'orders', 10, 1.0, now(), null, null, null, null)");
    try (Connection c = db.connect()) {
      ChannelControl.pause(c, "public", "orders", "alice");
    }
    assertThat(status(db))
        .containsPattern("PROCESS\\s+LISTENERS\\s+WORKERS\\s+BUSY\\s+UPTIME\\s+VERSION")
        .containsPattern("100@host-a\\s+2\\s+6\\s+3\\s+3\\.0h\\s+1\\.2\\.3")
        .containsPattern("200@host-b\\s+1\\s+-\\s+-\\s+-\\s+-")
        .containsPattern("PAUSED CHANNEL\\s+SINCE\\s+BY")
        .containsPattern("orders\\s+\\S+\\s+alice");
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
