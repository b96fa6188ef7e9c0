package io.pgpubsub.internal;

import io.pgpubsub.WalStatus;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Every SQL statement of the WAL transport that is not a callback's: the boot checks (wal_level, version,
 * rights), the slot and its publication, the position tables, and the slot's status.
 */
public final class WalServer {

  /** The publication that pgoutput needs; it names no table: the transport reads logical messages only. */
  public static final String PUBLICATION = "pgpubsub_wal";

  static final String HOW_TO_ENABLE =
      " Enable logical decoding: ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (a reload is not"
          + " enough). On managed services: Amazon RDS and Aurora, set rds.logical_replication = 1 in the DB"
          + " parameter group and reboot; Google Cloud SQL, set the flag cloudsql.logical_decoding = on; Azure"
          + " Database for PostgreSQL, set the server parameter wal_level = logical; Supabase and Neon: enable"
          + " logical replication in the project settings. Or keep the table transport (the default), which"
          + " works on any PostgreSQL.";

  private WalServer() {}

  /**
   * Fails with an error that says how to fix it when this server or role cannot serve the WAL transport.
   *
   * @throws IllegalStateException naming the setting or right at fault
   */
  public static void check(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT current_setting('server_version_num')::int, current_setting('wal_level'),"
                    + " current_setting('max_replication_slots')::int, r.rolsuper OR r.rolreplication, current_user,"
                    + " EXISTS (SELECT FROM pg_roles WHERE rolname = 'rds_replication')"
                    + "   AND pg_has_role(current_user, 'rds_replication', 'MEMBER')"
                    + " FROM pg_roles r WHERE r.rolname = current_user")) {
      rs.next();
      int version = rs.getInt(1);
      String walLevel = rs.getString(2);
      if (version < 140000) {
        throw new IllegalStateException(
            "the WAL transport needs PostgreSQL 14 or later (pgoutput's messages option); this server is "
                + version / 10000 + ". Use the table transport (the default)");
      }
      if (!"logical".equals(walLevel)) {
        throw new IllegalStateException(
            "the WAL transport needs wal_level = logical, but this server runs wal_level = " + walLevel + "."
                + HOW_TO_ENABLE);
      }
      if (rs.getInt(3) < 1) {
        throw new IllegalStateException(
            "the WAL transport needs a replication slot, but max_replication_slots = 0: ALTER SYSTEM SET"
                + " max_replication_slots = 10; then restart PostgreSQL");
      }
      if (!rs.getBoolean(4) && !rs.getBoolean(6)) {
        String role = rs.getString(5);
        throw new IllegalStateException(
            "the WAL transport reads a logical replication slot, which needs the REPLICATION right, and role "
                + role + " has none: ALTER ROLE " + SchemaNames.quote(role) + " REPLICATION; (Amazon RDS and"
                + " Aurora: GRANT rds_replication TO " + SchemaNames.quote(role) + "; Google Cloud SQL: ALTER"
                + " USER ... WITH REPLICATION as cloudsqlsuperuser)");
      }
    }
  }

  /** The tables of the transport's positions, and its publication (idempotent). */
  public static void install(Connection c, String schema) throws SQLException {
    boolean auto = c.getAutoCommit();
    if (auto) {
      c.setAutoCommit(false);
    }
    try (Statement s = c.createStatement()) {
      // Processes that start together would race in CREATE TABLE IF NOT EXISTS, which then fails on pg_type's
      // unique index (seen with three listener processes started at once): they install one at a time.
      s.execute("SELECT pg_advisory_xact_lock(" + INSTALL_LOCK + ")");
      s.execute(
          "CREATE TABLE IF NOT EXISTS " + SchemaNames.table(schema, "pgpubsub_wal_slot") + " ("
              + " slot text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), created_lsn pg_lsn)");
      s.execute(
          "CREATE TABLE IF NOT EXISTS " + SchemaNames.table(schema, "pgpubsub_wal_position") + " ("
              + " slot text NOT NULL, partitions int NOT NULL, part int NOT NULL,"
              + " commit_lsn bigint NOT NULL DEFAULT 0, seq int NOT NULL DEFAULT 0,"
              + " updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (slot, partitions, part))");
      s.execute(
          "DO $pgpubsub$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_publication WHERE pubname = '" + PUBLICATION
              + "') THEN CREATE PUBLICATION " + PUBLICATION + "; END IF; END $pgpubsub$");
      if (auto) {
        c.commit();
      }
    } catch (SQLException | RuntimeException e) {
      if (auto) {
        c.rollback();
      }
      throw e;
    } finally {
      if (auto) {
        c.setAutoCommit(true);
      }
    }
  }

  /** The transaction-scoped advisory lock (one bigint key, beside the leader lock 1885827896) that serializes {@link #install}. */
  static final long INSTALL_LOCK = 1885827957L;

  /**
   * Creates the slot when this listener never had one; fails when it had one that is gone or invalidated.
   *
   * @throws WalSlotLostException when the slot was created before and is now dropped or invalidated
   */
  static void ensureSlot(Connection c, String schema, String slot) throws SQLException {
    boolean known;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM " + SchemaNames.table(schema, "pgpubsub_wal_slot") + " WHERE slot = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        known = rs.next();
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT wal_status, plugin FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          if ("lost".equals(rs.getString(1))) {
            throw new WalSlotLostException(slot, "was invalidated by PostgreSQL (wal_status = lost: it retained"
                + " more than max_slot_wal_keep_size, or the server removed the WAL it needed)");
          }
          if (!"pgoutput".equals(rs.getString(2))) {
            throw new IllegalStateException("replication slot '" + slot + "' exists with output plugin "
                + rs.getString(2) + ", not pgoutput: it is not this listener's; name another with walSlot(...)");
          }
          if (!known) {
            register(c, schema, slot);
          }
          return;
        }
      }
    }
    if (known) {
      throw new WalSlotLostException(slot, "was dropped");
    }
    try (PreparedStatement ps =
        c.prepareStatement("SELECT lsn FROM pg_catalog.pg_create_logical_replication_slot(?, 'pgoutput')")) {
      ps.setString(1, slot);
      ps.executeQuery().close();
    }
    register(c, schema, slot);
  }

  /** At start: fails when this listener's slot was created before and is now dropped or invalidated. */
  static void checkNotLost(Connection c, String schema, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT s.wal_status FROM " + SchemaNames.table(schema, "pgpubsub_wal_slot") + " w"
                + " LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = w.slot WHERE w.slot = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          String status = rs.getString(1);
          if (status == null) {
            throw new WalSlotLostException(slot, "was dropped");
          }
          if ("lost".equals(status)) {
            throw new WalSlotLostException(slot, "was invalidated by PostgreSQL (wal_status = lost: it retained"
                + " more than max_slot_wal_keep_size, or the server removed the WAL it needed)");
          }
        }
      }
    }
  }

  private static void register(Connection c, String schema, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO " + SchemaNames.table(schema, "pgpubsub_wal_slot")
                + " (slot, created_lsn) VALUES (?, pg_current_wal_lsn()) ON CONFLICT DO NOTHING")) {
      ps.setString(1, slot);
      ps.executeUpdate();
    }
  }

  /**
   * Resynchronisation after a lost slot: drops the slot if it is still there and forgets its positions, so that
   * the next start creates a new slot that begins at the current end of the WAL. Changes committed between the
   * old slot's last confirmed position and then are not delivered: reconcile them from the tables themselves.
   */
  public static void reset(Connection c, String schema, String slot) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots"
                + " WHERE slot_name = ?")) {
      ps.setString(1, slot);
      ps.executeQuery().close();
    }
    for (String t : new String[] {"pgpubsub_wal_slot", "pgpubsub_wal_position"}) {
      try (PreparedStatement ps =
          c.prepareStatement("DELETE FROM " + SchemaNames.table(schema, t) + " WHERE slot = ?")) {
        ps.setString(1, slot);
        ps.executeUpdate();
      }
    }
  }

  /**
   * The slot as PostgreSQL reports it now. Measured from the WAL insert position, not {@code pg_current_wal_lsn()}
   * (the write position): with {@code synchronous_commit = off} a committed change may not be written yet, and the
   * write position would report a slot with changes to read as having none (CI saw lag 0 after a 100 kB message).
   */
  public static WalStatus status(Connection c, String slot, boolean leader, String error) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT active, confirmed_flush_lsn::text,"
                + " COALESCE(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), restart_lsn), 0)::bigint,"
                + " COALESCE(pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn), 0)::bigint, wal_status"
                + " FROM pg_catalog.pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new WalStatus(slot, false, false, leader, null, 0, 0, null, error);
        }
        return new WalStatus(
            slot, true, rs.getBoolean(1), leader, rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getString(5), error);
      }
    }
  }
}
