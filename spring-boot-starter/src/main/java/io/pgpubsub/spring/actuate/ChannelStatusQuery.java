package io.pgpubsub.spring.actuate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;

/** Per-channel figures read from the notification table and the listeners' heartbeats, (two read-only queries). */
final class ChannelStatusQuery {

  /** One channel: pending (incl. retrying), retrying, dead, age of the oldest pending, live listeners. */
  record ChannelFigures(
      String channel, long pending, long retrying, long dead, Double oldestPendingSeconds, List<String> listeners) {}

  private final DataSource dataSource;
  private final String schema;

  ChannelStatusQuery(DataSource dataSource, String schema) {
    this.dataSource = dataSource;
    this.schema = schema;
  }

  List<ChannelFigures> read(List<String> knownChannels) throws SQLException {
    String q = "\"" + schema.replace("\"", "\"\"") + "\".";
    Map<String, long[]> counts = new TreeMap<>();
    Map<String, Double> oldest = new LinkedHashMap<>();
    Map<String, List<String>> listeners = new TreeMap<>();
    for (String c : knownChannels) {
      counts.put(c, new long[3]);
      listeners.put(c, new ArrayList<>());
    }
    try (Connection c = dataSource.getConnection()) {
      c.setReadOnly(true);
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT channel, count(*) FILTER (WHERE dead_at IS NULL),"
                      + " count(*) FILTER (WHERE dead_at IS NULL AND attempts > 0),"
                      + " count(*) FILTER (WHERE dead_at IS NOT NULL),"
                      + " extract(epoch FROM now() - min(created_at) FILTER (WHERE dead_at IS NULL))::float8"
                      + " FROM " + q + "pgpubsub_notification GROUP BY channel");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long[] n = counts.computeIfAbsent(rs.getString(1), k -> new long[3]);
          n[0] = rs.getLong(2);
          n[1] = rs.getLong(3);
          n[2] = rs.getLong(4);
          double age = rs.getDouble(5);
          oldest.put(rs.getString(1), rs.wasNull() ? null : age);
          listeners.computeIfAbsent(rs.getString(1), k -> new ArrayList<>());
        }
      }
      try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT channel, listener FROM " + q + "pgpubsub_listener_stats"
                      + " WHERE heartbeat_at > now() - interval '30 seconds' ORDER BY listener");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          listeners.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
          counts.computeIfAbsent(rs.getString(1), k -> new long[3]);
        }
      } catch (SQLException e) {
        if (!"42P01".equals(e.getSQLState())) { // no heartbeat table (an older install script): no listeners
          throw e;
        }
      } finally {
        c.setReadOnly(false);
      }
    }
    List<ChannelFigures> out = new ArrayList<>();
    counts.forEach(
        (channel, n) ->
            out.add(new ChannelFigures(channel, n[0], n[1], n[2], oldest.get(channel), listeners.get(channel))));
    return out;
  }
}
