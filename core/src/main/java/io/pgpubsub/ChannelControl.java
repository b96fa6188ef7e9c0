package io.pgpubsub;

import io.pgpubsub.internal.SchemaNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Pauses and resumes the claiming of a channel by every listener process: a paused channel's notifications
 * stay in the table (writes go on, nothing is lost) until it is resumed. Listeners read the paused channels
 * about once a second ({@code pgpubsub_channel_pause}), so a pause takes effect within about a second
 * (batches already claimed finish) and a resume wakes them at once. Broadcast channels are not claimed and
 * are not paused.
 *
 * <p>Every method runs in the caller's transaction on the given connection: commit it (or use auto-commit).
 */
public final class ChannelControl {

  /** A paused channel: who paused it (as given to {@link #pause}; null when not given) and when. */
  public record Pause(String channel, String pausedBy, Instant pausedAt) {}

  private ChannelControl() {}

  /**
   * Pauses the claiming of {@code channel} in every listener process. Creates the control table when it is
   * missing (a schema installed by an older version).
   *
   * @param pausedBy who pauses it, shown by the dashboard (e.g. a user name); may be null
   * @return true when the channel was not paused before
   */
  public static boolean pause(Connection connection, String schema, String channel, String pausedBy)
      throws SQLException {
    String table = table(schema, channel);
    try (PreparedStatement exists = connection.prepareStatement("SELECT to_regclass(?) IS NULL")) {
      exists.setString(1, table);
      try (ResultSet rs = exists.executeQuery()) {
        rs.next();
        if (rs.getBoolean(1)) {
          try (Statement s = connection.createStatement()) {
            s.execute(
                "CREATE TABLE IF NOT EXISTS "
                    + table
                    + " (channel text PRIMARY KEY, paused_by text, paused_at timestamptz NOT NULL DEFAULT now())");
          }
        }
      }
    }
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO " + table + " (channel, paused_by) VALUES (?, ?) ON CONFLICT (channel) DO NOTHING")) {
      ps.setString(1, channel);
      ps.setString(2, pausedBy);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Resumes the claiming of {@code channel}: listeners claim its notifications again within about a second.
   *
   * @return true when the channel was paused
   */
  public static boolean resume(Connection connection, String schema, String channel) throws SQLException {
    String table = table(schema, channel);
    if (!exists(connection, table)) {
      return false;
    }
    try (PreparedStatement ps = connection.prepareStatement("DELETE FROM " + table + " WHERE channel = ?")) {
      ps.setString(1, channel);
      return ps.executeUpdate() == 1;
    }
  }

  /** The paused channels, by name; empty when none is (or the control table does not exist). */
  public static List<Pause> paused(Connection connection, String schema) throws SQLException {
    String table = SchemaNames.table(schema, "pgpubsub_channel_pause");
    List<Pause> out = new ArrayList<>();
    if (!exists(connection, table)) {
      return out;
    }
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery("SELECT channel, paused_by, paused_at FROM " + table + " ORDER BY channel")) {
      while (rs.next()) {
        out.add(new Pause(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant()));
      }
    }
    return out;
  }

  private static String table(String schema, String channel) {
    Objects.requireNonNull(channel, "channel");
    if (channel.isBlank()) {
      throw new IllegalArgumentException("channel must not be blank");
    }
    return SchemaNames.table(schema, "pgpubsub_channel_pause");
  }

  private static boolean exists(Connection connection, String table) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }
}
