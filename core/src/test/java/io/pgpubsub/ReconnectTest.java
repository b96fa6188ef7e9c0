package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.RestartableServer;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The listener survives losing its connections: LISTEN backend terminated, every backend terminated, and a
 * whole server restart. Poll intervals are an hour, so only reconnect + re-scan + LISTEN can deliver.
 */
@PostgresTest
class ReconnectTest {

  public record Event(int n) {}

  private final Set<Integer> seen = ConcurrentHashMap.newKeySet();
  private final ChannelDefinition channel =
      plain("events", Event.class, true, plainListener("E#on(Event)", (t, inv) -> seen.add(inv.newValue(Event.class).n())));
  private final Notifier notifier = Notifier.create("public", List.of(channel));

  private void write(String url, int from, int to) throws SQLException {
    try (Connection c = DriverManager.getConnection(url)) {
      c.setAutoCommit(false);
      for (int i = from; i <= to; i++) {
        notifier.send(c, new Event(i));
      }
      c.commit();
    }
  }

  private void awaitSeen(int n) throws Exception {
    await(Duration.ofSeconds(30), n + " events", () -> seen.size() == n);
  }

  private static Listener.Builder listener(String url) {
    return Listener.builder()
        .jdbcUrl(url)
        .pollInterval(Duration.ofHours(1))
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  private static long listenPid(String url, long other) throws Exception {
    long[] pid = new long[1];
    await(Duration.ofSeconds(30), "a LISTEN backend other than " + other, () -> {
      try (Connection c = DriverManager.getConnection(url);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(
              "select pid from pg_stat_activity where datname = current_database() and application_name = 'pgpubsub-listen'")) {
        while (rs.next()) {
          if (rs.getLong(1) != other) {
            pid[0] = rs.getLong(1);
            return true;
          }
        }
        return false;
      } catch (SQLException e) {
        return false; // server still starting
      }
    });
    return pid[0];
  }

  @Test
  @Timeout(90)
  void survivesTerminatedBackends(TestDatabase db) throws Exception {
    Fixtures.install(db);
    String url = db.jdbcUrlWithCredentials();
    try (Listener l = listener(url).channelDefinitions(List.of(channel)).build().start()) {
      write(url, 1, 10);
      awaitSeen(10);
      long pid = listenPid(url, -1);

      db.execute("select pg_terminate_backend(" + pid + ")");
      write(url, 11, 20); // committed while the listener may be reconnecting: its NOTIFY can be lost
      awaitSeen(20);
      long pid2 = listenPid(url, pid);
      write(url, 21, 30); // after the reconnect: LISTEN works again
      awaitSeen(30);

      // now every connection of the listener at once (workers too)
      db.execute(
          "select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database()"
              + " and application_name in ('pgpubsub-listen', 'pgpubsub-worker')");
      write(url, 31, 40);
      awaitSeen(40);
      listenPid(url, pid2);
      write(url, 41, 50);
      awaitSeen(50);
      assertThat(l.isRunning()).isTrue();
    }
    assertThat(Fixtures.count(db, "select count(*) from pgpubsub_notification")).isZero();
  }

  @Test
  @Timeout(120)
  void survivesAPostgresRestart() throws Exception {
    try (RestartableServer pg = RestartableServer.start(Map.of())) {
      String url = pg.url();
      try (Connection c = DriverManager.getConnection(url)) {
        NotificationTable.install(c, "public");
      }
      try (Listener l = listener(url).channelDefinitions(List.of(channel)).build().start()) {
        write(url, 1, 10);
        awaitSeen(10);
        long pid = listenPid(url, -1);
        pg.restart();
        write(url, 11, 20); // the listener is still backing off: only the re-scan after reconnect finds these
        awaitSeen(20);
        listenPid(url, pid);
        write(url, 21, 30);
        awaitSeen(30);
        assertThat(l.isRunning()).isTrue();
      }
    }
  }
}
