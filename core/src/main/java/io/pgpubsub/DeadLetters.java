package io.pgpubsub;

import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.SchemaNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Operator API for dead notifications: list them (with payload and error), retry them (they become ready
 * again with a fresh attempt count, and listeners are woken), or purge them. Each call is one short
 * transaction on a connection of the given DataSource.
 */
public final class DeadLetters {

  private final DataSource dataSource;
  private final String schema;
  private final String table;

  private DeadLetters(DataSource dataSource, String schema) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    this.schema = schema;
    this.table = SchemaNames.table(schema, "pgpubsub_notification"); // validates the schema name
  }

  public static DeadLetters of(DataSource dataSource) {
    return new DeadLetters(dataSource, NotificationTable.DEFAULT_SCHEMA);
  }

  public static DeadLetters of(DataSource dataSource, String schema) {
    return new DeadLetters(dataSource, schema);
  }

  /** Dead notifications of {@code channel}, oldest first, at most {@code limit}. */
  public List<DeadLetter> list(String channel, int limit) throws SQLException {
    ChannelNames.validate(channel);
    return query(
        "SELECT id, channel, payload, attempts, created_at, dead_at, last_error FROM "
            + table
            + " WHERE dead_at IS NOT NULL AND channel = ? ORDER BY id LIMIT ?",
        channel,
        limit);
  }

  /** Dead notifications of every channel, oldest first, at most {@code limit}. */
  public List<DeadLetter> list(int limit) throws SQLException {
    return query(
        "SELECT id, channel, payload, attempts, created_at, dead_at, last_error FROM "
            + table
            + " WHERE dead_at IS NOT NULL ORDER BY id LIMIT ?",
        null,
        limit);
  }

  /** How many notifications of {@code channel} are dead. */
  public long count(String channel) throws SQLException {
    ChannelNames.validate(channel);
    return inTransaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT count(*) FROM " + table + " WHERE dead_at IS NOT NULL AND channel = ?")) {
            ps.setString(1, channel);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getLong(1);
            }
          }
        });
  }

  /** Makes dead notification {@code id} ready again (attempts reset) and wakes its listeners. */
  public boolean retry(long id) throws SQLException {
    return retry("id = ?", id) > 0;
  }

  /** Makes every dead notification of {@code channel} ready again. @return how many */
  public int retryAll(String channel) throws SQLException {
    ChannelNames.validate(channel);
    return retry("channel = ?", channel);
  }

  /** Deletes dead notification {@code id}. */
  public boolean purge(long id) throws SQLException {
    return update("DELETE FROM " + table + " WHERE dead_at IS NOT NULL AND id = ?", id) > 0;
  }

  /** Deletes every dead notification of {@code channel}. @return how many */
  public int purgeAll(String channel) throws SQLException {
    ChannelNames.validate(channel);
    return update("DELETE FROM " + table + " WHERE dead_at IS NOT NULL AND channel = ?", channel);
  }

  /** Makes every dead notification, of every channel, ready again. @return how many */
  public int retryAll() throws SQLException {
    return retry("TRUE", null);
  }

  /** Deletes every dead notification, of every channel. @return how many */
  public int purgeAll() throws SQLException {
    return update("DELETE FROM " + table + " WHERE dead_at IS NOT NULL", null);
  }

  /** @param arg the one bind parameter of {@code where}, or null when it has none */
  private int retry(String where, Object arg) throws SQLException {
    String sql =
        "WITH r AS (UPDATE "
            + table
            + " SET dead_at = NULL, attempts = 0, next_attempt_at = NULL WHERE dead_at IS NOT NULL AND "
            + where
            + " RETURNING channel)"
            + " SELECT count(*), coalesce(array_agg(DISTINCT channel), '{}') FROM r";
    return inTransaction(
        c -> {
          int n;
          List<String> names = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (arg != null) {
              ps.setObject(1, arg);
            }
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              n = rs.getInt(1);
              for (String channel : (String[]) rs.getArray(2).getArray()) {
                try {
                  names.add(ChannelNames.notifyName(schema, channel));
                } catch (IllegalArgumentException e) {
                  // not a channel any listener serves: nobody to wake
                }
              }
            }
          }
          if (!names.isEmpty()) { // wake the listeners (of this schema) of those channels
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(n, '') FROM unnest(?::text[]) AS n")) {
              ps.setArray(1, c.createArrayOf("text", names.toArray()));
              ps.executeQuery().close();
            }
          }
          return n;
        });
  }

  private int update(String sql, Object arg) throws SQLException {
    return inTransaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (arg != null) {
              ps.setObject(1, arg);
            }
            return ps.executeUpdate();
          }
        });
  }

  private List<DeadLetter> query(String sql, String channel, int limit) throws SQLException {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, got " + limit);
    }
    return inTransaction(
        c -> {
          List<DeadLetter> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            if (channel != null) {
              ps.setString(p++, channel);
            }
            ps.setInt(p, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new DeadLetter(
                        rs.getLong(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getInt(4),
                        rs.getTimestamp(5).toInstant(),
                        rs.getTimestamp(6).toInstant(),
                        rs.getString(7)));
              }
            }
          }
          return out;
        });
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
}
