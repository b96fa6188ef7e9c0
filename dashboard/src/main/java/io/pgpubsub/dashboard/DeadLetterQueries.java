package io.pgpubsub.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.SchemaNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** The dashboard's reads: every value a bind parameter, every identifier the validated schema, quoted where it needs quotes. */
final class DeadLetterQueries {

  /**
   * A payload preview that shows the row's fields: the new row (the old one for a delete) when the payload
   * is a trigger's envelope, else the payload itself; cut to 200 characters.
   */
  private static final String PREVIEW_VALUE =
      "coalesce(nullif(payload->'new', 'null'::jsonb), nullif(payload->'old', 'null'::jsonb), payload)::text";

  private static final String PREVIEW_SQL = "left(" + PREVIEW_VALUE + ", 200), length(" + PREVIEW_VALUE + ") > 200";

  static final int HISTORY_BUCKET_SECONDS = 10;

  private final DataSource dataSource;
  private final String schema;
  private final String notifications;
  private final String history;
  private final String stats;
  private final String attempts;

  DeadLetterQueries(DataSource dataSource, String schema) {
    this.attempts = SchemaNames.table(schema, "pgpubsub_attempt");
    this.dataSource = dataSource;
    this.schema = schema;
    this.stats = SchemaNames.table(schema, "pgpubsub_listener_stats");
    this.notifications = SchemaNames.table(schema, "pgpubsub_notification");
    this.history = SchemaNames.table(schema, "pgpubsub_stats_history");
  }

  List<String> channels() throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT DISTINCT channel FROM " + notifications);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  /** A sortable column of the dead-letter list: a fixed set, never SQL from the request. */
  enum Sort {
    DEAD("dead_at"),
    ID("id"),
    ATTEMPTS("attempts"),
    CHANNEL("channel"),
    STORED("created_at");

    final String column;

    Sort(String column) {
      this.column = column;
    }

    static Sort parse(String s) {
      if (s == null || s.isBlank()) {
        return DEAD;
      }
      for (Sort v : values()) {
        if (v.name().equalsIgnoreCase(s)) {
          return v;
        }
      }
      throw new Dashboard.BadRequest(400, "sort must be one of dead, id, attempts, channel, stored");
    }
  }

  /** One page of the dead letters {@code filter} matches, with the total, in {@code out}. */
  void list(ObjectMapper json, ObjectNode out, DeadFilter filter, Sort sort, boolean descending, int page, int pageSize)
      throws SQLException {
    String dir = descending ? " DESC" : " ASC";
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, channel, attempts, created_at, dead_at, "
                  + DeadFilter.ERROR_CLASS_SQL
                  + ", left(split_part(last_error, E'\\n', 1), 300), "
                  + PREVIEW_SQL
                  + ", length(payload::text)"
                  + " FROM "
                  + notifications
                  + DeadFilter.WHERE
                  + " ORDER BY "
                  + sort.column
                  + dir
                  + ", id"
                  + dir
                  + " LIMIT ? OFFSET ?")) {
        int p = filter.bind(ps, 1);
        ps.setInt(p++, pageSize);
        ps.setLong(p, (long) page * pageSize);
        ArrayNode rows = out.putArray("rows");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ObjectNode row = rows.addObject();
            row.put("id", rs.getLong(1));
            row.put("channel", rs.getString(2));
            row.put("attempts", rs.getInt(3));
            row.put("createdAt", rs.getTimestamp(4).toInstant().toString());
            row.put("deadAt", rs.getTimestamp(5).toInstant().toString());
            row.put("errorClass", rs.getString(6));
            row.put("error", rs.getString(7));
            row.put("payloadPreview", rs.getString(8));
            row.put("previewTruncated", rs.getBoolean(9));
            row.put("payloadChars", rs.getLong(10));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + notifications + DeadFilter.WHERE)) {
        filter.bind(ps, 1);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          out.put("total", rs.getLong(1));
        }
      }
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT DISTINCT "
                      + DeadFilter.ERROR_CLASS_SQL
                      + " FROM "
                      + notifications
                      + " WHERE dead_at IS NOT NULL AND last_error IS NOT NULL ORDER BY 1");
          ResultSet rs = ps.executeQuery()) {
        ArrayNode classes = out.putArray("errorClasses");
        while (rs.next()) {
          if (rs.getString(1) != null) {
            classes.add(rs.getString(1));
          }
        }
      }
    }
  }

  /**
   * The error groups (class and first line of the error) among the dead letters {@code filter} matches
   * (ignoring its own group), most frequent first, at most 100, each with its count and channels.
   */
  ArrayNode groups(ObjectMapper json, DeadFilter filter) throws SQLException {
    DeadFilter all = new DeadFilter(filter.channel(), filter.errorClass(), null, filter.age(), filter.search());
    ArrayNode out = json.createArrayNode();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT "
                    + DeadFilter.GROUP_SQL
                    + " AS g, min("
                    + DeadFilter.ERROR_CLASS_SQL
                    + "), count(*), array_agg(DISTINCT channel ORDER BY channel), max(dead_at) FROM "
                    + notifications
                    + DeadFilter.WHERE
                    + " AND last_error IS NOT NULL GROUP BY g ORDER BY count(*) DESC, g LIMIT 100")) {
      all.bind(ps, 1);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ObjectNode g = out.addObject();
          g.put("group", rs.getString(1));
          g.put("errorClass", rs.getString(2));
          g.put("count", rs.getLong(3));
          ArrayNode channels = g.putArray("channels");
          for (String ch : (String[]) rs.getArray(4).getArray()) {
            channels.add(ch);
          }
          g.put("lastDeadAt", rs.getTimestamp(5).toInstant().toString());
        }
      }
    }
    return out;
  }

  /**
   * Makes every dead letter {@code filter} matches ready again (attempts reset) and wakes the listeners of
   * their channels, in one transaction. Channel names that break the naming rules (rows written by hand) are
   * retried too; no listener serves them, so none is woken. @return their ids
   */
  List<Long> retryMatching(DeadFilter filter) throws SQLException {
    return inTransaction(
        c -> {
          List<Long> ids = new ArrayList<>();
          List<String> names = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "WITH r AS (UPDATE "
                      + notifications
                      + " SET dead_at = NULL, attempts = 0, next_attempt_at = NULL"
                      + DeadFilter.WHERE
                      + " RETURNING id, channel) SELECT coalesce(array_agg(id ORDER BY id), '{}'),"
                      + " coalesce(array_agg(DISTINCT channel), '{}') FROM r")) {
            filter.bind(ps, 1);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              ids.addAll(List.of((Long[]) rs.getArray(1).getArray()));
              for (String channel : (String[]) rs.getArray(2).getArray()) {
                try {
                  names.add(ChannelNames.notifyName(schema, channel));
                } catch (IllegalArgumentException e) {
                  // not a channel any listener serves: nobody to wake
                }
              }
            }
          }
          if (!names.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(n, '') FROM unnest(?::text[]) AS n")) {
              ps.setArray(1, c.createArrayOf("text", names.toArray()));
              ps.executeQuery().close();
            }
          }
          return ids;
        });
  }

  /** Deletes every dead letter {@code filter} matches. @return their ids */
  List<Long> purgeMatching(DeadFilter filter) throws SQLException {
    return inTransaction(
        c -> {
          List<Long> ids = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM " + notifications + DeadFilter.WHERE + " RETURNING id")) {
            filter.bind(ps, 1);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getLong(1));
              }
            }
          }
          return ids;
        });
  }

  /**
   * One page of the pending notifications of {@code channel} (null: all), oldest first; with {@code
   * retryingOnly} those that failed at least once. Each with its attempts, next attempt time and last error.
   */
  void pending(ObjectNode out, String channel, boolean retryingOnly, int page, int pageSize) throws SQLException {
    String where =
        " WHERE dead_at IS NULL AND (?::text IS NULL OR channel = ?) AND (NOT ? OR attempts > 0)";
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, channel, attempts, created_at, next_attempt_at,"
                  + " left(split_part(last_error, E'\\n', 1), 300), "
                  + PREVIEW_SQL
                  + ", extract(epoch FROM clock_timestamp() - created_at)::float8"
                  + " FROM "
                  + notifications
                  + where
                  + " ORDER BY id LIMIT ? OFFSET ?")) {
        ps.setString(1, channel);
        ps.setString(2, channel);
        ps.setBoolean(3, retryingOnly);
        ps.setInt(4, pageSize);
        ps.setLong(5, (long) page * pageSize);
        ArrayNode rows = out.putArray("rows");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ObjectNode row = rows.addObject();
            row.put("id", rs.getLong(1));
            row.put("channel", rs.getString(2));
            row.put("attempts", rs.getInt(3));
            row.put("createdAt", rs.getTimestamp(4).toInstant().toString());
            java.sql.Timestamp next = rs.getTimestamp(5);
            if (next == null) {
              row.putNull("nextAttemptAt");
            } else {
              row.put("nextAttemptAt", next.toInstant().toString());
            }
            row.put("error", rs.getString(6));
            row.put("payloadPreview", rs.getString(7));
            row.put("previewTruncated", rs.getBoolean(8));
            row.put("ageSeconds", rs.getDouble(9));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + notifications + where)) {
        ps.setString(1, channel);
        ps.setString(2, channel);
        ps.setBoolean(3, retryingOnly);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          out.put("total", rs.getLong(1));
        }
      }
    }
  }

  /**
   * Every listener process and channel whose heartbeat is younger than {@code window}, with the age of its
   * heartbeat by the database's clock (so a browser's clock does not matter). Empty when the heartbeat table
   * does not exist.
   */
  List<Heartbeat> heartbeats(java.time.Duration window) throws SQLException {
    List<Heartbeat> out = new ArrayList<>();
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
        ps.setString(1, stats);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return out;
          }
        }
      }
      boolean process;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(?)"
                  + " AND attname = 'busy_workers' AND attnum > 0 AND NOT attisdropped)")) {
        ps.setString(1, stats);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          process = rs.getBoolean(1);
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT listener, channel, processed, rate_per_second, heartbeat_at,"
                  + " extract(epoch FROM clock_timestamp() - heartbeat_at)::float8, "
                  + (process
                      ? "process_started_at, extract(epoch FROM clock_timestamp() - process_started_at)::float8,"
                          + " workers, busy_workers, version"
                      : "NULL::timestamptz, NULL::float8, NULL::int, NULL::int, NULL::text")
                  + " FROM "
                  + stats
                  + " WHERE heartbeat_at > clock_timestamp() - ? * interval '1 millisecond'"
                  + " ORDER BY listener, channel")) {
        ps.setLong(1, window.toMillis());
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            java.sql.Timestamp started = rs.getTimestamp(7);
            double uptime = rs.getDouble(8);
            Double uptimeSeconds = rs.wasNull() ? null : Math.max(0, uptime);
            int w = rs.getInt(9);
            Integer workers = rs.wasNull() ? null : w;
            int b = rs.getInt(10);
            Integer busy = rs.wasNull() ? null : b;
            out.add(
                new Heartbeat(
                    rs.getString(1),
                    rs.getString(2),
                    rs.getLong(3),
                    rs.getDouble(4),
                    rs.getTimestamp(5).toInstant(),
                    Math.max(0, rs.getDouble(6)),
                    started == null ? null : started.toInstant(),
                    uptimeSeconds,
                    workers,
                    busy,
                    rs.getString(11)));
          }
        }
      }
    }
    return out;
  }

  /** One row of the heartbeat table: a listener process serving a channel. */
  record Heartbeat(
      String listener,
      String channel,
      long processed,
      double ratePerSecond,
      java.time.Instant at,
      double ageSeconds,
      java.time.Instant processStartedAt,
      Double uptimeSeconds,
      Integer workers,
      Integer busyWorkers,
      String version) {

    /** The process part of the listener name ({@code name@pid@host} gives {@code pid@host}). */
    String process() {
      int at = listener.indexOf('@');
      return at < 0 ? listener : listener.substring(at + 1);
    }
  }

  /**
   * The failed attempts of notification {@code id} kept by the listeners ({@code pgpubsub_attempt}: the last
   * 10), newest first; empty when there are none or the table does not exist.
   */
  ArrayNode attempts(ObjectMapper json, long id) throws SQLException {
    ArrayNode out = json.createArrayNode();
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
        ps.setString(1, attempts);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return out;
          }
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT at, attempt, error, listener FROM "
                  + attempts
                  + " WHERE notification_id = ? ORDER BY at DESC LIMIT 50")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ObjectNode a = out.addObject();
            a.put("at", rs.getTimestamp(1).toInstant().toString());
            a.put("attempt", rs.getInt(2));
            a.put("error", rs.getString(3));
            a.put("listener", rs.getString(4));
          }
        }
      }
    }
    return out;
  }

  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T inTransaction(Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      boolean auto = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        T result = work.run(c);
        c.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      } finally {
        c.setAutoCommit(auto);
      }
    }
  }

  /** The dead notification {@code id} for the detail view, or null when there is none. */
  ObjectNode detail(ObjectMapper json, long id, int maxPayloadChars, boolean deadOnly) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, channel, attempts, created_at, dead_at, last_error, payload::text, next_attempt_at FROM "
                    + notifications
                    + " WHERE (dead_at IS NOT NULL OR NOT ?) AND id = ?")) {
      ps.setBoolean(1, deadOnly);
      ps.setLong(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        ObjectNode out = json.createObjectNode();
        out.put("id", rs.getLong(1));
        out.put("channel", rs.getString(2));
        out.put("attempts", rs.getInt(3));
        out.put("createdAt", rs.getTimestamp(4).toInstant().toString());
        java.sql.Timestamp dead = rs.getTimestamp(5);
        java.sql.Timestamp next = rs.getTimestamp(8);
        out.put("state", dead != null ? "dead" : rs.getInt(3) > 0 ? "retrying" : "pending");
        if (dead == null) {
          out.putNull("deadAt");
        } else {
          out.put("deadAt", dead.toInstant().toString());
        }
        if (next == null) {
          out.putNull("nextAttemptAt");
        } else {
          out.put("nextAttemptAt", next.toInstant().toString());
        }
        out.put("error", rs.getString(6));
        String raw = rs.getString(7);
        String pretty = raw;
        JsonNode context = null;
        try {
          JsonNode tree = json.readTree(raw);
          pretty = json.writerWithDefaultPrettyPrinter().writeValueAsString(tree);
          context = tree.get("context");
        } catch (JsonProcessingException e) {
          // shown as stored
        }
        out.put("payloadChars", pretty.length());
        out.put("truncated", pretty.length() > maxPayloadChars);
        out.put("payload", pretty.length() > maxPayloadChars ? pretty.substring(0, maxPayloadChars) : pretty);
        if (context == null || context.isNull()) {
          out.putNull("context");
        } else {
          try {
            out.put("context", json.writerWithDefaultPrettyPrinter().writeValueAsString(context));
          } catch (JsonProcessingException e) {
            out.put("context", context.toString());
          }
        }
        return out;
      }
    }
  }

  /** The whole stored payload of dead notification {@code id}, or null. */
  String payload(long id, boolean deadOnly) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT payload::text FROM " + notifications + " WHERE (dead_at IS NOT NULL OR NOT ?) AND id = ?")) {
      ps.setBoolean(1, deadOnly);
      ps.setLong(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /**
   * The last hour per channel, in {@value #HISTORY_BUCKET_SECONDS} s buckets: notifications processed per
   * second (all listeners together) and the lag (the oldest pending age, the largest any listener saw).
   * Empty when the history table does not exist.
   */
  ObjectNode history(ObjectMapper json) throws SQLException {
    ObjectNode out = json.createObjectNode();
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
              "SELECT channel, floor(extract(epoch FROM at) / ?)::bigint * ? AS bucket,"
                  + " sum(processed)::float8 / ?, max(lag_seconds),"
                  + " extract(epoch FROM now())::float8"
                  + " FROM "
                  + history
                  + " WHERE at > now() - interval '1 hour'"
                  + " GROUP BY 1, 2 ORDER BY 1, 2")) {
        ps.setInt(1, HISTORY_BUCKET_SECONDS);
        ps.setInt(2, HISTORY_BUCKET_SECONDS);
        ps.setInt(3, HISTORY_BUCKET_SECONDS);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String channel = rs.getString(1);
            ArrayNode points = out.has(channel) ? (ArrayNode) out.get(channel) : out.putArray(channel);
            ObjectNode p = points.addObject();
            p.put("minutesAgo", Math.round((rs.getDouble(5) - rs.getLong(2)) / 6.0) / 10.0);
            p.put("rate", rs.getDouble(3));
            double lag = rs.getDouble(4);
            if (rs.wasNull()) {
              p.put("lag", 0.0);
            } else {
              p.put("lag", lag);
            }
          }
        }
      }
    }
    return out;
  }
}
