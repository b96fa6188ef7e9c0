package io.pgpubsub.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.internal.SchemaNames;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record of every retry and purge made through the dashboard: when, who (the authenticated user of a
 * servlet container, else the client's address), what (the ids, or the filter) and how many rows changed, in
 * {@code pgpubsub_dashboard_audit} (created on first use). Writing it is best effort: a failure is logged and
 * never undoes the action.
 */
final class AuditLog {

  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  private final DataSource dataSource;
  private final String table;
  private volatile boolean created;

  AuditLog(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.table = SchemaNames.table(schema, "pgpubsub_dashboard_audit");
  }

  void record(ObjectMapper json, String action, String who, List<Long> ids, JsonNode filter, int changed) {
    try (Connection c = dataSource.getConnection()) {
      ensureTable(c);
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO " + table + " (action, who, ids, filter, changed) VALUES (?, ?, ?, ?::jsonb, ?)")) {
        ps.setString(1, action);
        ps.setString(2, who);
        ps.setArray(3, ids == null ? null : c.createArrayOf("bigint", ids.toArray()));
        ps.setString(4, filter == null ? null : json.writeValueAsString(filter));
        ps.setInt(5, changed);
        ps.executeUpdate();
      }
    } catch (SQLException | java.io.IOException e) {
      log.warn("pgpubsub dashboard: could not record {} by {} in {}: {}", action, who, SchemaNames.printable(table), e.toString());
    }
  }

  private void ensureTable(Connection c) throws SQLException {
    if (created) {
      return;
    }
    try (Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS "
              + table
              + " (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),"
              + " action text NOT NULL, who text, ids bigint[], filter jsonb, changed integer NOT NULL)");
    }
    created = true;
  }

  /** The latest entries, newest first; with {@code id}, those that named it (by id, not by filter). */
  ArrayNode read(ObjectMapper json, Long id, int limit) throws SQLException {
    ArrayNode out = json.createArrayNode();
    try (Connection c = dataSource.getConnection()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
        ps.setString(1, table);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return out;
          }
        }
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT at, action, who, ids, filter::text, changed FROM "
                  + table
                  + " WHERE (?::bigint IS NULL OR ?::bigint = ANY (ids)) ORDER BY id DESC LIMIT ?")) {
        if (id == null) {
          ps.setNull(1, java.sql.Types.BIGINT);
          ps.setNull(2, java.sql.Types.BIGINT);
        } else {
          ps.setLong(1, id);
          ps.setLong(2, id);
        }
        ps.setInt(3, limit);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            ObjectNode e = out.addObject();
            e.put("at", rs.getTimestamp(1).toInstant().toString());
            e.put("action", rs.getString(2));
            e.put("who", rs.getString(3));
            Array ids = rs.getArray(4);
            if (ids == null) {
              e.putNull("ids");
            } else {
              ArrayNode a = e.putArray("ids");
              for (Long n : (Long[]) ids.getArray()) {
                a.add(n);
              }
            }
            String filter = rs.getString(5);
            if (filter == null) {
              e.putNull("filter");
            } else {
              try {
                e.set("filter", json.readTree(filter));
              } catch (java.io.IOException ex) {
                e.put("filter", filter);
              }
            }
            e.put("changed", rs.getInt(6));
          }
        }
      }
    }
    return out;
  }
}
