package io.pgpubsub;

import io.pgpubsub.internal.WalServer;
import io.pgpubsub.internal.WalTriggers;
import io.pgpubsub.spi.ChannelDefinition;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The database side of the {@link Transport#WAL} transport: its triggers, its checks and the resynchronisation of
 * a lost slot. See docs/wal-transport.md.
 */
public final class WalTransport {

  private WalTransport() {}

  /**
   * The WAL form of a channel's generated trigger DDL: the same trigger, column filters, payload and context,
   * but the change is emitted with {@code pg_logical_emit_message(true, 'pgpubsub:<channel>', payload)} instead
   * of stored in the notification table, and no NOTIFY is sent.
   *
   * @throws IllegalArgumentException naming the channel when it is a plain or broadcast channel
   */
  public static String triggerDdl(ChannelDefinition channel) {
    return WalTriggers.rewrite(channel, Schema.triggerDdl(channel));
  }

  /** Installs (idempotently) the WAL transport's tables and the WAL form of every given channel's trigger. */
  public static void install(Connection connection, String schema, List<ChannelDefinition> channels)
      throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      WalServer.install(connection, schema);
      for (ChannelDefinition c : channels) {
        s.execute(triggerDdl(c));
      }
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /**
   * Fails with an error that says how to enable it when this server or role cannot serve the WAL transport
   * ({@code wal_level}, the managed services' flags such as {@code rds.logical_replication}, the REPLICATION
   * right, PostgreSQL 14 or later).
   */
  public static void check(Connection connection) throws SQLException {
    WalServer.check(connection);
  }

  /**
   * Resynchronisation after a dropped or invalidated slot: drops the slot if it is still there and forgets its
   * positions, so that the next start creates a new slot that begins at the current end of the WAL. Changes
   * committed between the old slot's last confirmed position and the new slot's creation are not delivered:
   * reconcile them from the tables first (docs/wal-transport.md).
   */
  public static void resetSlot(Connection connection, String schema, String slot) throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(true);
    try {
      WalServer.reset(connection, schema, slot);
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /** The slot's state now: retained WAL, lag, activity (no listener needed: for status pages and the CLI). */
  public static WalStatus status(Connection connection, String slot) throws SQLException {
    return WalServer.status(connection, slot, false, null);
  }
}
