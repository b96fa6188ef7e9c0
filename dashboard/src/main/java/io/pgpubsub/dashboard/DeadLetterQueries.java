package io.pgpubsub.dashboard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.internal.SchemaNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/** The dashboard's reads: every value a bind parameter, every identifier the validated schema, quoted where it needs quotes. */
final class DeadLetterQueries {

  static final Pattern ERROR_CLASS = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$.]{0,255}");
  /** The exception class at the start of last_error (which is a printed stack trace). */
  private static final String ERROR_CLASS_SQL = "substring(last_error from '^[A-Za-z0-9_$.]+')";

  static final int HISTORY_BUCKET_SECONDS = 10;

  private final DataSource dataSource;
  private final String notifications;
  private final String history;

  DeadLetterQueries(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
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

  void list(ObjectMapper json, ObjectNode out, String channel, String errorClass, Dashboard.AgeFilter age, int limit)
      throws SQLException {
    String where =
        " WHERE dead_at IS NOT NULL AND (?::text IS NULL OR channel = ?)"
            + " AND (?::text IS NULL OR "
            + ERROR_CLASS_SQL
            + " = ?)"
            + " AND (?::bigint IS NULL OR dead_at <= now() - ? * interval '1 second')"
            + " AND (?::bigint IS NULL OR dead_at > now() - ? * interval '1 second')";
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT id, channel, attempts, created_at, dead_at, "
                  + ERROR_CLASS_SQL
                  + ", left(split_part(last_error, E'\\n', 1), 300), left(payload::text, 200), length(payload::text)"
                  + " FROM "
                  + notifications
                  + where
                  + " ORDER BY id LIMIT ?")) {
        int p = bindFilters(ps, channel, errorClass, age);
        ps.setInt(p, limit);
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
            row.put("payloadChars", rs.getLong(9));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + notifications + where)) {
        bindFilters(ps, channel, errorClass, age);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          out.put("total", rs.getLong(1));
        }
      }
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT DISTINCT "
                      + ERROR_CLASS_SQL
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

  private static int bindFilters(PreparedStatement ps, String channel, String errorClass, Dashboard.AgeFilter age)
      throws SQLException {
    int p = 1;
    ps.setString(p++, channel);
    ps.setString(p++, channel);
    ps.setString(p++, errorClass);
    ps.setString(p++, errorClass);
    for (Long seconds : new Long[] {age.minSeconds, age.maxSeconds}) {
      if (seconds == null) {
        ps.setNull(p++, Types.BIGINT);
        ps.setNull(p++, Types.BIGINT);
      } else {
        ps.setLong(p++, seconds);
        ps.setLong(p++, seconds);
      }
    }
    return p;
  }

  /** The dead notification {@code id} for the detail view, or null when there is none. */
  ObjectNode detail(ObjectMapper json, long id, int maxPayloadChars) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id, channel, attempts, created_at, dead_at, last_error, payload::text FROM "
                    + notifications
                    + " WHERE dead_at IS NOT NULL AND id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        ObjectNode out = json.createObjectNode();
        out.put("id", rs.getLong(1));
        out.put("channel", rs.getString(2));
        out.put("attempts", rs.getInt(3));
        out.put("createdAt", rs.getTimestamp(4).toInstant().toString());
        out.put("deadAt", rs.getTimestamp(5).toInstant().toString());
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
  String payload(long id) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps =
            c.prepareStatement("SELECT payload::text FROM " + notifications + " WHERE dead_at IS NOT NULL AND id = ?")) {
      ps.setLong(1, id);
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
