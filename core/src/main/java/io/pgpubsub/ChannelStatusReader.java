package io.pgpubsub;

import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.SchemaNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import javax.sql.DataSource;

/**
 * Reads the per-channel operations status ({@link ChannelStatus}): pending, retrying and dead counts and
 * the oldest pending age from the notification table, and the live listener processes with their rates from
 * the heartbeat table ({@code pgpubsub_listener_stats}, which listeners refresh every 10 s). Used by {@code
 * pgpubsub status}, the dashboard and the Actuator endpoint. Each call is one short read-only transaction on
 * a connection of the given DataSource.
 */
public final class ChannelStatusReader {

  /** A listener whose latest heartbeat is older than this is not counted as live. */
  public static final Duration LIVE_WINDOW = Duration.ofSeconds(30);

  private final DataSource dataSource;
  private final String schema;
  private final String notifications;
  private final String stats;

  private ChannelStatusReader(DataSource dataSource, String schema) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.schema = schema;
    // SQL forms (validated): used in statements and, bound, in to_regclass(?)
    this.notifications = SchemaNames.table(schema, "pgpubsub_notification");
    this.stats = SchemaNames.table(schema, "pgpubsub_listener_stats");
  }

  /** A reader of the tables in the {@code public} schema. */
  public static ChannelStatusReader of(DataSource dataSource) {
    return new ChannelStatusReader(dataSource, NotificationTable.DEFAULT_SCHEMA);
  }

  /** A reader of the tables in {@code schema} (any name PostgreSQL accepts; quoted as needed). */
  public static ChannelStatusReader of(DataSource dataSource, String schema) {
    return new ChannelStatusReader(dataSource, schema);
  }

  /** The status of every channel that has rows or live listeners, sorted by channel name. */
  public List<ChannelStatus> read() throws SQLException {
    return read(List.of());
  }

  /**
   * The status of every channel in {@code knownChannels} (with zero counts when it has neither rows nor
   * listeners) and of every other channel that has rows or live listeners, sorted by channel name.
   *
   * @throws SQLException also when the notification table does not exist (the message says to install it)
   */
  public List<ChannelStatus> read(Collection<String> knownChannels) throws SQLException {
    Map<String, Row> rows = new TreeMap<>();
    for (String name : knownChannels) {
      rows.put(ChannelNames.validate(name), new Row());
    }
    try (Connection c = dataSource.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        boolean statsExist = requireTables(c);
        readNotifications(c, rows);
        if (hasKeys(c)) {
          readKeys(c, rows);
        }
        if (statsExist) {
          readListeners(c, rows);
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    }
    List<ChannelStatus> out = new ArrayList<>(rows.size());
    rows.forEach(
        (name, r) -> out.add(new ChannelStatus(name, r.pending, r.retrying, r.dead, r.oldest, r.listeners, r.keys)));
    return out;
  }

  /** @return whether the heartbeat table exists (it may not, in a schema installed by an older version) */
  private boolean requireTables(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT to_regclass(?) IS NOT NULL, to_regclass(?) IS NOT NULL")) {
      ps.setString(1, notifications);
      ps.setString(2, stats);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          throw new SQLException(
              "table "
                  + SchemaNames.printable(notifications)
                  + " does not exist; install it first (pgpubsub install, or"
                  + " NotificationTable.install)",
              "42P01");
        }
        return rs.getBoolean(2);
      }
    }
  }

  private void readNotifications(Connection c, Map<String, Row> rows) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT channel, count(*) FILTER (WHERE dead_at IS NULL),"
                    + " count(*) FILTER (WHERE dead_at IS NULL AND attempts > 0),"
                    + " count(*) FILTER (WHERE dead_at IS NOT NULL),"
                    + " (extract(epoch FROM clock_timestamp() - min(created_at) FILTER (WHERE dead_at IS NULL))"
                    + " * 1000)::bigint"
                    + " FROM "
                    + notifications
                    + " GROUP BY channel");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        Row r = rows.computeIfAbsent(rs.getString(1), k -> new Row());
        r.pending = rs.getLong(2);
        r.retrying = rs.getLong(3);
        r.dead = rs.getLong(4);
        long millis = rs.getLong(5);
        r.oldest = rs.wasNull() ? null : Duration.ofMillis(Math.max(0, millis));
      }
    }
  }

  /** Whether the notification table has the order_key column (tables created before ordered channels do not). */
  private boolean hasKeys(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(?)"
                + " AND attname = 'order_key' AND attnum > 0 AND NOT attisdropped)")) {
      ps.setString(1, notifications);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** Per ordered channel: keys waiting, held back by a retry, with a dead notification; the oldest waiting key. */
  private void readKeys(Connection c, Map<String, Row> rows) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement(io.pgpubsub.internal.Sql.orderedKeyFigures(notifications, false));
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        Row r = rows.computeIfAbsent(rs.getString(1), k -> new Row());
        long millis = rs.getLong(6);
        Duration age = rs.wasNull() ? null : Duration.ofMillis(Math.max(0, millis));
        r.keys = new ChannelStatus.Keys(rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getString(5), age);
      }
    }
  }

  private void readListeners(Connection c, Map<String, Row> rows) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT channel, listener, processed, rate_per_second, heartbeat_at FROM "
                + stats
                + " WHERE heartbeat_at > clock_timestamp() - ? * interval '1 millisecond'"
                + " ORDER BY channel, listener")) {
      ps.setLong(1, LIVE_WINDOW.toMillis());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.computeIfAbsent(rs.getString(1), k -> new Row())
              .listeners
              .add(
                  new ChannelStatus.ListenerProcess(
                      rs.getString(2), rs.getLong(3), rs.getDouble(4), rs.getTimestamp(5).toInstant()));
        }
      }
    }
  }

  private static final class Row {
    long pending;
    long retrying;
    long dead;
    Duration oldest;
    ChannelStatus.Keys keys;
    final List<ChannelStatus.ListenerProcess> listeners = new ArrayList<>();
  }
}
