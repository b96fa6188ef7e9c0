package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.internal.WalTriggers;
import io.pgpubsub.testing.RestartableServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The WAL transport across a restart of the whole PostgreSQL server (issue 29's fault tests): the slot and the
 * applied positions survive it, the reader reconnects with its back-off, and every change committed before,
 * during the listener's back-off and after is applied exactly once (the effects table's primary key refuses a
 * second application), in commit order per key. A server of its own (wal_level = logical, a data directory kept
 * across the restart), as {@link ReconnectTest#survivesAPostgresRestart} does for the table transport.
 */
class WalRestartTest {

  @Test
  @Timeout(180)
  void aServerRestartLosesNothingAndAppliesNothingTwice() throws Exception {
    try (RestartableServer pg = RestartableServer.start(Map.of("wal_level", "logical"))) {
      String url = pg.url();
      try (Connection c = DriverManager.getConnection(url);
          Statement s = c.createStatement()) {
        NotificationTable.install(c, "public");
        s.execute("create table wal_item(id bigint primary key, k text not null, v int not null)");
        s.execute(WalTriggers.rewrite(WalTransportTest.channel(), WalTransportTest.TABLE_DDL));
        s.execute("create table effects(id bigint, v int, k text, n bigserial, primary key (id, v))");
      }
      try (Listener l =
          Listener.builder()
              .jdbcUrl(url)
              .channelDefinitions(List.of(WalTransportTest.channel(WalTransportTest.recorder())))
              .transport(Transport.WAL)
              .walSlot("restart_slot")
              .workers(2)
              .reconnectDelay(Duration.ofMillis(100), Duration.ofSeconds(1))
              .build()
              .start()) {
        await(Duration.ofSeconds(30), "leadership", l::isListening);
        write(url, 0, 60, 6);
        l.drain(Duration.ofSeconds(30));
        assertThat(count(url, "select count(*) from effects")).isEqualTo(60);

        pg.restart();
        write(url, 60, 120, 6); // the reader is still backing off: the slot keeps these for it
        await(Duration.ofSeconds(60), "the changes written around the restart",
            () -> count(url, "select count(*) from effects") >= 120);
        write(url, 120, 150, 6);
        l.drain(Duration.ofSeconds(30));
        assertThat(l.isRunning()).isTrue();
        assertThat(l.walStatus().error()).isNull();
      }
      assertThat(count(url, "select count(*) from effects")).as("every change once").isEqualTo(150);
      assertThat(count(url, "select count(*) from pgpubsub_notification")).as("nothing dead").isZero();
      assertOrderPerKey(url);
    }
  }

  private static void write(String url, int from, int to, int keys) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps = c.prepareStatement("insert into wal_item values (?, ?, 1)")) {
      for (int i = from; i < to; i++) {
        ps.setLong(1, i);
        ps.setString(2, "key-" + (i % keys));
        ps.executeUpdate(); // autocommit: one transaction per change
      }
    }
  }

  private static long count(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      return -1; // the server is restarting
    }
  }

  /** Per key, the callbacks committed in the writes' commit order (ids rise with it here). */
  private static void assertOrderPerKey(String url) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select k, id from effects order by n")) {
      Map<String, Long> last = new HashMap<>();
      while (rs.next()) {
        Long prev = last.put(rs.getString(1), rs.getLong(2));
        assertThat(prev == null || prev < rs.getLong(2)).as("order of %s", rs.getString(1)).isTrue();
      }
    }
  }
}
