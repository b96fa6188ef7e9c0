package io.pgpubsub.internal;

import io.pgpubsub.NotificationTable;

/**
 * Every statement the runtime runs, for one schema. The schema is validated by {@link
 * NotificationTable#ddl(String)} rules (a plain lower-case identifier); everything else is a bind parameter.
 */
public final class Sql {

  /** Columns every claiming statement returns, in this order. */
  static final String COLUMNS = "id, channel, payload, attempts, created_at";

  /** Ready rows of the given channels, oldest first. Parameters: channels, watermark, [filter], limit. */
  private static String ready(String table, boolean filter) {
    return "SELECT id FROM "
        + table
        + " WHERE channel = ANY(?) AND dead_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= now())"
        + " AND id > ?"
        + (filter ? " AND payload @> ?::jsonb" : "")
        + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED";
  }

  public final String table;
  public final String broadcastTable;
  /** Fast path: claim and remove a batch in one statement. */
  public final String claimDelete;
  /** Safe mode: lock the rows of a failed batch again, without removing them. Parameter: ids. */
  public final String lockIds;
  public final String deleteIds;
  public final String markRetry;
  public final String markDead;
  public final String insertDead;
  public final String readBroadcast;
  public final String purgeBroadcasts;
  public final String backlog;
  public final String maxId;

  public Sql(String schema, boolean filter) {
    NotificationTable.ddl(schema); // validates the schema name
    table = schema + ".pgpubsub_notification";
    broadcastTable = schema + ".pgpubsub_broadcast";
    claimDelete =
        "DELETE FROM " + table + " WHERE id IN (" + ready(table, filter) + ") RETURNING " + COLUMNS;
    lockIds =
        "SELECT "
            + COLUMNS
            + " FROM "
            + table
            + " WHERE id = ANY(?) AND dead_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED";
    deleteIds = "DELETE FROM " + table + " WHERE id = ANY(?)";
    markRetry =
        "UPDATE "
            + table
            + " SET attempts = attempts + 1, next_attempt_at = now() + ? * interval '1 millisecond',"
            + " last_error = ? WHERE id = ?";
    markDead =
        "UPDATE "
            + table
            + " SET attempts = attempts + 1, next_attempt_at = NULL, dead_at = now(), last_error = ? WHERE id = ?";
    insertDead =
        "INSERT INTO "
            + table
            + " (channel, payload, attempts, last_error, dead_at) VALUES (?, ?::jsonb, ?, ?, now())";
    readBroadcast = "SELECT payload, created_at FROM " + broadcastTable + " WHERE id = ?";
    purgeBroadcasts =
        "DELETE FROM " + broadcastTable + " WHERE created_at < now() - interval '1 hour'";
    backlog =
        "SELECT channel, count(*) FROM "
            + table
            + " WHERE channel = ANY(?) AND dead_at IS NULL AND id > ?"
            + (filter ? " AND payload @> ?::jsonb" : "")
            + " GROUP BY channel";
    maxId = "SELECT coalesce(max(id), 0) FROM " + table;
  }
}
