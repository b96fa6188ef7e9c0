package io.pgpubsub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.WalTransport;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code pgpubsub status} shows the WAL transport's slots (docs/wal-transport.md): retained WAL, lag, a dropped slot. */
@PostgresTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WalStatusCliTest {

  @Test
  void statusShowsTheSlotsRetainedWalAndADroppedSlot(TestDatabase db) throws Exception {
    String slot = "pgpubsub_cli_" + ProcessHandle.current().pid();
    try (Connection c = db.connect()) {
      try (ResultSet rs = c.createStatement().executeQuery("show wal_level")) {
        rs.next();
        Assumptions.assumeTrue(rs.getString(1).equals("logical"), "the test PostgreSQL does not run wal_level = logical");
      }
      NotificationTable.install(c, "public");
      assertThat(status(db)).doesNotContain("WAL SLOT");
      WalTransport.install(c, "public", List.of());
      c.createStatement().execute("select pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
      c.createStatement().execute("insert into pgpubsub_wal_slot (slot) values ('" + slot + "')");
      c.createStatement().execute("select pg_logical_emit_message(true, 'x', repeat('x', 100000))");
      assertThat(status(db))
          .containsPattern("WAL SLOT\\s+ACTIVE\\s+RETAINED BYTES\\s+LAG BYTES\\s+WAL STATUS")
          .containsPattern(slot + "\\s+false\\s+[1-9]\\d*\\s+[1-9]\\d*\\s+reserved");
      c.createStatement().execute("select pg_drop_replication_slot('" + slot + "')");
      assertThat(status(db)).containsPattern(slot + "\\s+-\\s+-\\s+-\\s+DROPPED");
      WalTransport.resetSlot(c, "public", slot);
    }
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
