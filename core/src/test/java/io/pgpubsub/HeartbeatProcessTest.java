package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.inTransaction;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The heartbeat tells about the listener's process: when it started, its workers, how many were busy, the
 * library version; and a stats table created before those columns existed is upgraded by the DDL, and works
 * without them until then. Waits for one heartbeat interval (10 s).
 */
@PostgresTest
@Timeout(60)
class HeartbeatProcessTest {

  public record Slow(long n) {}

  @Test
  void theHeartbeatCarriesStartTimeWorkersBusyWorkersAndVersion(TestDatabase db) throws Exception {
    Fixtures.install(db);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch running = new CountDownLatch(1);
    ChannelDefinition ch =
        plain("heartbeat_busy", Slow.class, true, plainListener("Slow#on", (t, inv) -> {
          running.countDown();
          release.await(30, TimeUnit.SECONDS);
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l = Fixtures.listener(db, ch).name("process-facts").workers(3).build().start()) {
      await(Duration.ofSeconds(10), "the first heartbeat", () -> row(db) != null);
      Object[] first = row(db);
      assertThat((Integer) first[1]).as("workers").isEqualTo(3);
      assertThat((Integer) first[2]).as("busy workers: running callbacks").isBetween(0, 3);
      assertThat((String) first[3]).as("version").isNotBlank();
      assertThat(((java.sql.Timestamp) first[0]).toInstant())
          .as("the process start")
          .isBetween(
              Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime()).minusSeconds(1),
              Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime()).plusSeconds(1));
      inTransaction(db, c -> notifier.send(c, new Slow(1)));
      assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
      await(Duration.ofSeconds(25), "a heartbeat while one callback runs", () -> (Integer) row(db)[2] == 1);
      release.countDown();
    }
  }

  @Test
  void aStatsTableOfAnOlderVersionWorksAndIsUpgradedByTheDdl(TestDatabase db) throws Exception {
    db.execute("create schema old_stats");
    db.execute(
        "create table old_stats.pgpubsub_listener_stats (listener text not null, channel text not null,"
            + " processed bigint not null, rate_per_second double precision not null,"
            + " heartbeat_at timestamptz not null, primary key (listener, channel))");
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "old_stats");
      NotificationTable.install(c, "old_stats"); // idempotent
    }
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "select string_agg(column_name, ',' order by column_name) from information_schema.columns"
                    + " where table_schema = 'old_stats' and table_name = 'pgpubsub_listener_stats'"
                    + " and column_name in ('process_started_at', 'workers', 'busy_workers', 'version')")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("busy_workers,process_started_at,version,workers");
    }
  }

  @Test
  void aListenerPublishesIntoAStatsTableWithoutTheProcessColumns(TestDatabase db) throws Exception {
    db.execute("create schema older");
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "older");
    }
    db.execute(
        "alter table older.pgpubsub_listener_stats drop column process_started_at, drop column workers,"
            + " drop column busy_workers, drop column version");
    ChannelDefinition ch = plain("heartbeat_older", Slow.class, true, plainListener("Older#on", (t, inv) -> {}));
    try (Listener l = Fixtures.listener(db, ch).schema("older").name("older-table").build().start()) {
      await(Duration.ofSeconds(10), "the first heartbeat in the older table",
          () -> Fixtures.count(db, "select count(*) from older.pgpubsub_listener_stats where listener like 'older-table@%'") == 1);
    }
  }

  /** process_started_at, workers, busy_workers, version of the listener "process-facts", or null. */
  private static Object[] row(TestDatabase db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "select process_started_at, workers, busy_workers, version from pgpubsub_listener_stats"
                    + " where listener like 'process-facts@%'")) {
      return rs.next() ? new Object[] {rs.getTimestamp(1), rs.getInt(2), rs.getInt(3), rs.getString(4)} : null;
    }
  }
}
