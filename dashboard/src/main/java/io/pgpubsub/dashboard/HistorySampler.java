package io.pgpubsub.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.internal.SchemaNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * History computed from the tables themselves, so that it exists while no listener runs: every interval one
 * sampler (whichever dashboard holds the advisory lock) appends one row per channel to {@code
 * pgpubsub_channel_history}: the backlog (pending count), the dead count, the lag (age of the oldest pending
 * row), what listeners processed in the interval (from their heartbeat history; null when no listener of the
 * channel reported, which the charts draw as a gap) and the inflow (what was written: the backlog's growth plus
 * what was processed). The table is created on first use ({@code CREATE TABLE IF NOT EXISTS}); without the
 * privilege to create it, sampling switches off and the charts show the listeners' history only.
 */
final class HistorySampler {

  private static final Logger log = LoggerFactory.getLogger(HistorySampler.class);
  /** Advisory lock key of the sampler: 'pgs5'. */
  static final int LOCK = 0x70677335;

  private final DataSource dataSource;
  private final String notifications;
  private final String stats;
  private final String history;
  private final Duration interval;
  private final Duration heartbeatInterval;
  private final Duration retention;
  private volatile boolean disabled;
  private volatile boolean created;
  private volatile long lastTry;

  HistorySampler(DataSource dataSource, String schema, Duration interval, Duration heartbeatInterval, Duration retention) {
    this.dataSource = dataSource;
    this.notifications = SchemaNames.table(schema, "pgpubsub_notification");
    this.stats = SchemaNames.table(schema, "pgpubsub_stats_history");
    this.history = SchemaNames.table(schema, "pgpubsub_channel_history");
    this.interval = interval;
    this.heartbeatInterval = heartbeatInterval;
    this.retention = retention;
  }

  Duration interval() {
    return interval;
  }

  /** Samples now when a sample is due (no sampler wrote one for 90% of the interval); errors are logged. */
  void maybeSample() {
    long now = System.nanoTime();
    long last = lastTry;
    if (disabled || (last != 0 && now - last < interval.toNanos() * 9 / 10)) {
      return;
    }
    lastTry = now;
    try {
      sample(null);
    } catch (SQLException e) {
      log.warn("pgpubsub dashboard: history sample failed: {}", e.toString());
    }
  }

  /**
   * Takes one sample at {@code at} (null: the database's {@code now()}), unless another sampler holds the lock
   * or wrote a sample less than 90% of the interval before. @return whether it wrote one
   */
  boolean sample(Instant at) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      ensureTable(c);
      if (disabled) {
        return false;
      }
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        boolean wrote = sample(c, at);
        c.commit();
        return wrote;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    }
  }

  private void ensureTable(Connection c) throws SQLException {
    if (created) {
      return;
    }
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + history
              + " (channel text NOT NULL, at timestamptz NOT NULL, seconds double precision NOT NULL,"
              + " inflow bigint, processed bigint, backlog bigint NOT NULL, dead bigint NOT NULL,"
              + " lag_seconds double precision, PRIMARY KEY (channel, at))");
      s.execute("CREATE INDEX IF NOT EXISTS pgpubsub_channel_history_at ON " + history + " (at)");
      created = true;
    } catch (SQLException e) {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
        ps.setString(1, history);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) {
            created = true; // another dashboard created it at the same moment
            return;
          }
        }
      }
      disabled = true;
      log.warn(
          "pgpubsub dashboard: cannot create {} ({}): history from the tables is off; the charts show the"
              + " listeners' history only",
          SchemaNames.printable(history),
          e.getMessage());
    }
  }

  private boolean sample(Connection c, Instant given) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_xact_lock(?, 0)")) {
      ps.setInt(1, LOCK);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return false; // another dashboard samples
        }
      }
    }
    Instant at;
    Instant previous;
    try (PreparedStatement ps = c.prepareStatement("SELECT now(), max(at) FROM " + history)) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        at = given != null ? given : rs.getTimestamp(1).toInstant();
        Timestamp p = rs.getTimestamp(2);
        previous = p == null ? null : p.toInstant();
      }
    }
    if (previous != null && !at.isAfter(previous.plus(interval.multipliedBy(9).dividedBy(10)))) {
      return false; // sampled recently (by another dashboard, or a clock that went back)
    }
    boolean continuous = previous != null && !at.isAfter(previous.plus(interval.multipliedBy(3)));
    double seconds = continuous ? (at.toEpochMilli() - previous.toEpochMilli()) / 1000.0 : interval.toMillis() / 1000.0;

    Map<String, long[]> before = new HashMap<>(); // channel -> {backlog, dead}
    if (continuous) {
      try (PreparedStatement ps = c.prepareStatement("SELECT channel, backlog, dead FROM " + history + " WHERE at = ?")) {
        ps.setTimestamp(1, Timestamp.from(previous));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            before.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3)});
          }
        }
      }
    }
    Map<String, Object[]> now = new TreeMap<>(); // channel -> {backlog, dead, lag}
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT channel, count(*) FILTER (WHERE dead_at IS NULL), count(*) FILTER (WHERE dead_at IS NOT NULL),"
                + " extract(epoch FROM ?::timestamptz - min(created_at) FILTER (WHERE dead_at IS NULL))::float8"
                + " FROM "
                + notifications
                + " WHERE created_at <= ? GROUP BY channel")) {
      ps.setTimestamp(1, Timestamp.from(at));
      ps.setTimestamp(2, Timestamp.from(at));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          double lag = rs.getDouble(4);
          now.put(rs.getString(1), new Object[] {rs.getLong(2), rs.getLong(3), rs.wasNull() ? null : Math.max(0, lag)});
        }
      }
    }
    for (String ch : before.keySet()) {
      now.putIfAbsent(ch, new Object[] {0L, 0L, null});
    }
    // what listeners reported processed in the interval; a channel no listener reported on for two heartbeat
    // intervals has no processed value (a gap, not a zero)
    Map<String, long[]> processed = new HashMap<>(); // channel -> {sum in the interval, reports}
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, stats);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          try (PreparedStatement q =
              c.prepareStatement(
                  "SELECT channel, coalesce(sum(processed) FILTER (WHERE at > ?), 0), count(*) FROM "
                      + stats
                      + " WHERE at > ? AND at <= ? GROUP BY channel")) {
            Instant from = at.minusMillis((long) (seconds * 1000));
            Instant alive = at.minus(heartbeatInterval.multipliedBy(2));
            q.setTimestamp(1, Timestamp.from(from));
            q.setTimestamp(2, Timestamp.from(from.isBefore(alive) ? from : alive));
            q.setTimestamp(3, Timestamp.from(at));
            try (ResultSet r = q.executeQuery()) {
              while (r.next()) {
                processed.put(r.getString(1), new long[] {r.getLong(2), r.getLong(3)});
                now.putIfAbsent(r.getString(1), new Object[] {0L, 0L, null});
              }
            }
          }
        }
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + history
                + " (channel, at, seconds, inflow, processed, backlog, dead, lag_seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT (channel, at) DO NOTHING")) {
      for (Map.Entry<String, Object[]> e : now.entrySet()) {
        String ch = e.getKey();
        long backlog = (Long) e.getValue()[0];
        long dead = (Long) e.getValue()[1];
        Double lag = (Double) e.getValue()[2];
        long[] p = processed.get(ch);
        Long done = p == null ? null : p[0];
        long[] b = before.get(ch);
        Long inflow = null;
        if (continuous) {
          long grew = backlog + dead - (b == null ? 0 : b[0] + b[1]);
          inflow = Math.max(0, grew + (done == null ? 0 : done));
        }
        ps.setString(1, ch);
        ps.setTimestamp(2, Timestamp.from(at));
        ps.setDouble(3, seconds);
        ps.setObject(4, inflow);
        ps.setObject(5, done);
        ps.setLong(6, backlog);
        ps.setLong(7, dead);
        ps.setObject(8, lag);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM " + history + " WHERE at < ?::timestamptz - ? * interval '1 second'")) {
      ps.setTimestamp(1, Timestamp.from(at));
      ps.setLong(2, retention.toSeconds());
      ps.executeUpdate();
    }
    return true;
  }

  /** The range's samples per channel, downsampled to about 240 buckets; empty when there are none. */
  ObjectNode read(ObjectMapper json, Range range) throws SQLException {
    ObjectNode out = json.createObjectNode();
    long bucket = range.seconds / 240;
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
        ps.setString(1, history);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return out;
          }
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT channel, floor(extract(epoch FROM at) / ?)::bigint * ? AS b,"
                  + " sum(inflow)::float8 / nullif(sum(seconds) FILTER (WHERE inflow IS NOT NULL), 0),"
                  + " sum(processed)::float8 / nullif(sum(seconds) FILTER (WHERE processed IS NOT NULL), 0),"
                  + " max(backlog), max(lag_seconds), extract(epoch FROM now())::float8"
                  + " FROM "
                  + history
                  + " WHERE at > now() - ? * interval '1 second' GROUP BY 1, 2 ORDER BY 1, 2")) {
        ps.setLong(1, bucket);
        ps.setLong(2, bucket);
        ps.setLong(3, range.seconds);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String channel = rs.getString(1);
            ArrayNode points = out.has(channel) ? (ArrayNode) out.get(channel) : out.putArray(channel);
            ObjectNode p = points.addObject();
            p.put("minutesAgo", Math.max(0, (rs.getDouble(7) - rs.getLong(2) - bucket / 2.0) / 60.0));
            putNullable(p, "inflow", rs.getDouble(3), rs.wasNull());
            putNullable(p, "rate", rs.getDouble(4), rs.wasNull());
            p.put("backlog", rs.getLong(5));
            double lag = rs.getDouble(6);
            p.put("lag", rs.wasNull() ? 0.0 : lag);
          }
        }
      }
    }
    return out;
  }

  private static void putNullable(ObjectNode p, String name, double value, boolean isNull) {
    if (isNull) {
      p.putNull(name);
    } else {
      p.put(name, value);
    }
  }

  /** The chart ranges: a fixed set, never SQL from the request. */
  enum Range {
    HOUR("1h", 3600),
    DAY("24h", 86400),
    WEEK("7d", 7 * 86400);

    final String label;
    final long seconds;

    Range(String label, long seconds) {
      this.label = label;
      this.seconds = seconds;
    }

    static Range parse(String s) {
      if (s == null || s.isBlank()) {
        return HOUR;
      }
      for (Range r : values()) {
        if (r.label.equals(s)) {
          return r;
        }
      }
      throw new Dashboard.BadRequest(400, "range must be one of 1h, 24h, 7d");
    }
  }
}
