package io.pgpubsub.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The last {@value #KEPT} failed attempts of each notification, in {@code pgpubsub_attempt}: when, which attempt,
 * the first lines of the error (at most {@value #MAX_ERROR_CHARS} characters) and the listener. Written only on
 * the failure path, in the transaction that records the failure (one more statement), so a notification that
 * succeeds costs nothing. A retry of a dead letter keeps its history (the rows are keyed by notification id,
 * which a retry keeps). Rows of notifications that are gone (processed or purged) are deleted by {@link
 * #maybeCleanUp}, at most every {@value #CLEAN_UP_SECONDS} s, from the heartbeat. Switched off when the table
 * does not exist (a schema installed by an older version: apply the DDL again).
 */
final class AttemptHistory {

  static final int KEPT = 10;
  static final int MAX_LINES = 6;
  static final int MAX_ERROR_CHARS = 1_000;
  static final long CLEAN_UP_SECONDS = 60;

  private final String table;
  private final String notifications;
  private final String listener;
  private final String record;
  private final AtomicLong nextCleanUp = new AtomicLong();
  private volatile boolean enabled;

  AttemptHistory(String schema, String listener) {
    this.table = SchemaNames.table(schema, "pgpubsub_attempt");
    this.notifications = SchemaNames.table(schema, "pgpubsub_notification");
    this.listener = listener;
    // the DELETE sees the rows before the INSERT (one snapshot): keeping KEPT - 1 of them leaves KEPT
    this.record =
        "WITH trimmed AS (DELETE FROM "
            + table
            + " WHERE ctid = ANY(ARRAY(SELECT ctid FROM "
            + table
            + " WHERE notification_id = ? ORDER BY at DESC OFFSET "
            + (KEPT - 1)
            + "))) INSERT INTO "
            + table
            + " (notification_id, at, attempt, error, listener) VALUES (?, clock_timestamp(), ?, ?, ?)";
  }

  /** Enables the history when its table exists (checked once at start). */
  void start(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        enabled = rs.getBoolean(1);
      }
    }
    nextCleanUp.set(System.nanoTime() + TimeUnit.SECONDS.toNanos(CLEAN_UP_SECONDS));
  }

  /** Appends a failed attempt of {@code id}, in the caller's transaction; {@code error} is trimmed here. */
  void record(Connection c, long id, int attempt, String error) throws SQLException {
    if (!enabled) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(record)) {
      ps.setLong(1, id);
      ps.setLong(2, id);
      ps.setInt(3, attempt);
      ps.setString(4, firstLines(error));
      ps.setString(5, listener);
      ps.executeUpdate();
    }
  }

  /**
   * Deletes the history of notifications that are gone, when due (at most 1000 notifications' rows at a time).
   * Rows younger than a minute are left: their notification may be claimed right now (deleted and about to be
   * put back by an uncommitted transaction).
   */
  void maybeCleanUp(Connection c) throws SQLException {
    long now = System.nanoTime();
    long due = nextCleanUp.get();
    if (!enabled
        || now - due < 0
        || !nextCleanUp.compareAndSet(due, now + TimeUnit.SECONDS.toNanos(CLEAN_UP_SECONDS))) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "DELETE FROM "
                + table
                + " WHERE notification_id = ANY(ARRAY(SELECT DISTINCT a.notification_id FROM "
                + table
                + " a WHERE a.at < now() - interval '1 minute' AND NOT EXISTS (SELECT FROM "
                + notifications
                + " n WHERE n.id = a.notification_id) LIMIT 1000))")) {
      ps.executeUpdate();
    }
  }

  /** The first {@value #MAX_LINES} lines of {@code error}, at most {@value #MAX_ERROR_CHARS} characters. */
  static String firstLines(String error) {
    if (error == null) {
      return "";
    }
    int end = -1;
    for (int line = 0; line < MAX_LINES; line++) {
      int next = error.indexOf('\n', end + 1);
      if (next < 0) {
        end = error.length();
        break;
      }
      end = next;
    }
    String s = error.substring(0, end);
    if (s.length() > MAX_ERROR_CHARS) {
      s = s.substring(0, MAX_ERROR_CHARS);
    }
    return s.length() < error.length() ? s + "\n\t..." : s;
  }
}
