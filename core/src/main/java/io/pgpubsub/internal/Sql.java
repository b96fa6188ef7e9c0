package io.pgpubsub.internal;

import java.util.List;

/**
 * Every statement the runtime runs, for one schema. The schema is written by {@link SchemaNames#sql} (quoted
 * when it needs quotes); everything else is a bind parameter.
 */
public final class Sql {

  /**
   * Columns every claiming statement returns, in this order ({@link Worker#read}). {@code created_at} comes as
   * microseconds since the epoch (exact: {@code extract} is numeric since PostgreSQL 14, and a double before it
   * keeps well under half a microsecond there): returned as a {@code timestamptz}, the server's formatting and
   * pgjdbc's parsing of it cost about 0.4 ms per claim of 100 rows, a third of the claim's round trip, on a
   * 2-core machine (measured with BatchLatencyProbe; it was most of the library's extra latency over a
   * hand-written JDBC loop for multi-row transactions).
   */
  static final String COLUMNS =
      "id, channel, payload, attempts, (extract(epoch from created_at) * 1000000)::int8 AS created_at_micros,"
          + " order_key";

  /**
   * Ready rows, at most {@code limit}, taken channel by channel in the order of the channels array, each
   * channel's oldest first. Parameters: channels, watermark, [filter], limit (per channel), limit (in all).
   *
   * <p>Each channel is one range scan of the index on {@code (channel, id)}, which returns the rows already in
   * order, so the scan stops after {@code limit} rows however long the backlog. The condition is written for that
   * plan: {@code (channel, id) > (c.channel, watermark) AND channel <= c.channel} is the index's start and end,
   * and {@code ORDER BY channel, id} is the index's order, which the primary key cannot give; {@link
   * #PIN_CLAIM_PLAN} leaves the planner no other choice. Measured with statistics taken while the table was empty
   * (the usual case), the simpler forms all went wrong as the backlog grew: {@code channel = ANY(?)} read and
   * sorted every ready row of the channels on every claim (30-40 ms per batch of 200 with 10,000 rows waiting),
   * and {@code channel = c.channel ORDER BY id} walked the primary key, reading every row of the other channels
   * while looking for an empty channel's first row. The worker rotates the channels array between claims, so
   * a channel with a backlog cannot starve the others.
   */
  private static String ready(String table, boolean filter) {
    return "SELECT r.id FROM unnest(?::text[]) AS c(channel) CROSS JOIN LATERAL (SELECT id FROM "
        + table
        + " WHERE (channel, id) > (c.channel, ?) AND channel <= c.channel AND dead_at IS NULL"
        + " AND (next_attempt_at IS NULL OR next_attempt_at <= now())"
        + (filter ? " AND payload @> ?::jsonb" : "")
        + " ORDER BY channel, id LIMIT ? FOR UPDATE SKIP LOCKED) r LIMIT ?";
  }

  /**
   * The heads of ordered channels that are ready, at most {@code limit}, locked. Parameters: ordered channels,
   * ordered channels whose dead notifications block their key ({@link io.pgpubsub.DeadKeyPolicy#BLOCK}),
   * watermark, [filter], limit.
   *
   * <p><b>Why this is commit order.</b> A writer takes a transaction-scoped advisory lock on (channel, key)
   * before it stores a notification of that key (the generated trigger, {@link io.pgpubsub.Notifier}), and holds
   * it until it commits or rolls back. So the id of a key's notification is drawn only after every earlier
   * writer of that key has ended: among the committed notifications of one key, id order is commit order, and
   * a snapshot that sees a key's notification sees every older one of that key (the earlier writer left the
   * proc array before it released the lock). Ids of different keys still interleave freely; nothing here
   * compares them.
   *
   * <p><b>Why one at a time.</b> The head of a key is its notification with the lowest id, whatever its state:
   * being processed (deleted by a claim that has not committed: still visible to everyone else, and locked),
   * waiting for a retry, or dead ({@code BLOCK} channels; on {@code MOVE_ON} channels dead rows are left out).
   * Only a head that is ready and not locked is claimed ({@code FOR UPDATE SKIP LOCKED}, after the lowest-id
   * rows are found, so a locked head is skipped and never replaced by the key's next row). A claim whose
   * snapshot predates the commit of a head's processing still sees that head (gone once it tries to lock it):
   * it skips the key, it never runs the key's next row early. So the next row of a key runs only after the
   * previous one's processing committed, whichever worker or process claims it.
   *
   * <p><b>Cost.</b> Each claim reads the head of every key that has rows in the ordered channels: one ordered
   * scan of the index {@code (channel, order_key, id)} (that is, every waiting row of those channels), then the
   * heads by primary key.
   */
  private static String orderedReady(String table, boolean filter) {
    return "SELECT o.id FROM "
        + table
        + " o WHERE o.id = ANY(ARRAY(SELECT DISTINCT ON (channel, order_key) id FROM "
        + table
        + " WHERE channel = ANY(?::text[]) AND order_key IS NOT NULL AND (dead_at IS NULL OR channel = ANY(?::text[]))"
        + " ORDER BY channel, order_key, id))"
        + " AND o.id > ? AND o.dead_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())"
        + (filter ? " AND o.payload @> ?::jsonb" : "")
        + " ORDER BY o.id LIMIT ? FOR UPDATE SKIP LOCKED";
  }

  /**
   * {@link #orderedReady} over a window: the heads among the oldest {@code window} rows of each ordered channel
   * that are not dead. Parameters: ordered channels, window, ordered channels whose dead notifications block
   * their key, watermark, [filter], limit.
   *
   * <p>Still only heads: every row of the channel older than the window's newest row is in the window, so a key
   * with a row in the window has its lowest (not dead) row there too. Dead rows are not in the window; on a
   * {@code BLOCK} channel a head with a dead row of its key below it is left out (a probe of the index on
   * {@code (channel, order_key, id)}). What the window costs is reach, not safety: keys whose rows all lie
   * beyond it wait for the next claim, so the worker follows a claim that came back short with a claim over
   * every row ({@link #orderedClaimBatch}); a key held back by a retry with a long queue behind it fills the
   * window but never hides the other keys for longer than one claim.
   */
  private static String orderedWindowReady(String table, boolean filter) {
    return "SELECT o.id FROM "
        + table
        + " o WHERE o.id = ANY(ARRAY(SELECT DISTINCT ON (w.channel, w.order_key) w.id"
        + " FROM unnest(?::text[]) AS c(channel) CROSS JOIN LATERAL (SELECT id, channel, order_key FROM "
        + table
        + " WHERE (channel, id) > (c.channel, 0) AND channel <= c.channel AND dead_at IS NULL"
        + " ORDER BY channel, id LIMIT ?) w WHERE w.order_key IS NOT NULL ORDER BY w.channel, w.order_key, w.id))"
        + " AND NOT (o.channel = ANY(?::text[]) AND EXISTS (SELECT FROM "
        + table
        + " d WHERE d.channel = o.channel AND d.order_key = o.order_key AND d.id < o.id AND d.dead_at IS NOT NULL))"
        + " AND o.id > ? AND o.dead_at IS NULL AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= now())"
        + (filter ? " AND o.payload @> ?::jsonb" : "")
        + " ORDER BY o.id LIMIT ? FOR UPDATE SKIP LOCKED";
  }

  public final String table;
  public final String broadcastTable;
  /**
   * {@link #claimDelete} for listeners with ordered channels: the unordered channels' ready rows, then the
   * ordered channels' ready heads ({@link #orderedReady}), at most {@code limit} in all. Parameters: those of
   * {@link #claimDelete}, those of {@link #orderedReady} (its limit is the limit in all).
   */
  public final String orderedClaimDelete;
  /** {@link #claimBatch} with {@link #orderedClaimDelete}. */
  public final String orderedClaimBatch;
  /**
   * {@link #orderedClaimDelete} with the ordered heads taken from a window ({@link #orderedWindowReady}).
   * Parameters: those of {@link #claimDelete}, those of {@link #orderedWindowReady}, the limit in all.
   */
  public final String orderedWindowClaimDelete;
  /** {@link #claimBatch} with {@link #orderedWindowClaimDelete}. */
  public final String orderedWindowClaimBatch;
  /**
   * Rows of ordered channels stored without a key (before the channel was made ordered) get the empty key, so
   * that they are claimed, one at a time, in id order. Parameter: ordered channels.
   */
  public final String keyLegacyRows;
  /**
   * Fast path: claim and remove a batch in one statement. The ids are collected by an InitPlan ({@code id =
   * ANY(ARRAY(subquery))}) so that every plan deletes by primary key. With {@code id IN (subquery)}, the generic
   * plan PostgreSQL caches for the prepared statement, chosen while the table was small, is a hash semi-join
   * over a sequential scan of the whole table (measured: 14.6 ms per batch of 200 over 35,000 rows, against
   * 0.9 ms with the InitPlan).
   */
  public final String claimDelete;
  /**
   * {@link #PIN_CLAIM_PLAN}, {@link #claimDelete} and {@link #UNPIN_CLAIM_PLAN} as one statement list, which
   * pgjdbc sends in one round trip (one Sync): the claim's second result is the claimed rows. Sent apart, they
   * were three of the four round trips of a batch; in a drain on a busy 2-core machine the listener JVM spent
   * about a quarter of the time on CPU and the rest waiting, and each round trip waits for the backend and then
   * the worker thread to be scheduled again. Parameters: those of {@link #claimDelete}.
   */
  public final String claimBatch;
  /**
   * The planner settings a claim runs with, each turned off for the claim only (transaction-local) and given
   * back by {@link #UNPIN_CLAIM_PLAN}.
   *
   * <ul>
   *   <li>{@code enable_sort}, {@code enable_bitmapscan}: the claim's shape alone does not pin its plan. With
   *       statistics taken while the table was empty, PostgreSQL 15 was seen to choose a bitmap scan of every
   *       ready row of the channel and a sort, on every claim, which makes a listener slower the further it falls
   *       behind. With both off, the only plan left that needs neither is the ordered range scan of the {@code
   *       (channel, id)} index, which stops after n rows.
   *   <li>{@code jit}: a plan that still holds a disabled node (the windowed ordered claim must sort the window
   *       to find its heads) costs more
   *       than {@code jit_above_cost}, and PostgreSQL then compiles the claim with LLVM on every execution:
   *       measured on PostgreSQL 15 with JIT available (Debian's packages, the official images), 320-420 ms per
   *       claim instead of 4 ms. A claim is a short statement; JIT never pays for itself there.
   * </ul>
   */
  static final List<String> CLAIM_SETTINGS =
      List.of("enable_sort", "enable_bitmapscan", "jit");

  /**
   * The first statement of {@link #claimBatch}: turns the {@link #CLAIM_SETTINGS} off for the claim and keeps the
   * values they had in placeholder settings ({@code pgpubsub.enable_sort}, ...) for {@link #UNPIN_CLAIM_PLAN}.
   * (The values are read in a materialized CTE, so they are read before they are changed whatever order the
   * target list runs in.)
   */
  public static final String PIN_CLAIM_PLAN =
      "WITH before AS MATERIALIZED (SELECT "
          + String.join(", ", CLAIM_SETTINGS.stream().map(n -> "current_setting('" + n + "') AS " + n).toList())
          + ") SELECT "
          + String.join(", ", CLAIM_SETTINGS.stream().map(n -> "set_config('pgpubsub." + n + "', " + n + ", true)").toList())
          + ", "
          + String.join(", ", CLAIM_SETTINGS.stream().map(n -> "set_config('" + n + "', 'off', true)").toList())
          + " FROM before";
  /**
   * The last statements of {@link #claimBatch}: give the callbacks' statements the planner settings the
   * session had, and set the savepoint {@link #ROLLBACK_BATCH} returns to when a callback fails. Rolling back
   * to it undoes the callbacks' work but keeps the claim: the batch's rows stay deleted in this transaction and
   * locked by it, so no other worker can run a failed notification again (or before its next attempt is due)
   * while its failure is being recorded.
   */
  public static final String UNPIN_CLAIM_PLAN =
      "SELECT "
          + String.join(
              ", ",
              CLAIM_SETTINGS.stream()
                  .map(n -> "set_config('" + n + "', current_setting('pgpubsub." + n + "'), true)")
                  .toList())
          + "; SAVEPOINT pgpubsub_batch";
  /** Undoes the callbacks' work of a failed batch, keeping its claim (see {@link #UNPIN_CLAIM_PLAN}). */
  public static final String ROLLBACK_BATCH = "ROLLBACK TO SAVEPOINT pgpubsub_batch";
  /**
   * Lock rows again, without removing them, when they are ready (not dead, next attempt due): after a failed
   * commit released them. Parameter: ids.
   */
  public final String lockIds;
  /** Lock one row, waiting for its lock (after its worker was stopped or timed out). Parameter: id. */
  public final String lockOne;
  /**
   * Put back a claimed row whose callbacks failed, in the transaction that deleted it, with the failed attempt
   * counted and the next one due after a delay. Parameters: id, channel, payload, created_at, order key,
   * attempts, last error, delay in ms.
   */
  public final String restoreRetry;
  /** As {@link #restoreRetry}, dead. Parameters: id, channel, payload, created_at, order key, attempts, last error. */
  public final String restoreDead;
  public final String deleteIds;
  public final String markRetry;
  public final String markDead;
  public final String insertDead;
  public final String readBroadcast;
  public final String purgeBroadcasts;
  public final String backlog;

  /**
   * Per ordered channel of {@code table} (rows with an order key): keys waiting (with a pending notification), keys
   * whose head (oldest pending) failed before and waits for its retry, keys with a dead notification, the key of
   * the oldest pending notification and its age in milliseconds. {@code channelFilter}: {@code true} adds {@code AND
   * channel = ANY(?)} (a {@code text[]} parameter). The one statement behind {@code ChannelStatus.Keys} and the
   * {@code pgpubsub.keys.*} gauges.
   */
  public static String orderedKeyFigures(String table, boolean channelFilter) {
    return "SELECT channel, count(*) FILTER (WHERE pending), count(*) FILTER (WHERE head_retrying),"
        + " count(*) FILTER (WHERE has_dead),"
        + " (array_agg(order_key ORDER BY oldest_pending) FILTER (WHERE pending))[1],"
        + " (extract(epoch FROM clock_timestamp() - min(oldest_pending)) * 1000)::bigint"
        + " FROM (SELECT channel, order_key, bool_or(dead_at IS NULL) AS pending,"
        + " (array_agg(attempts ORDER BY id) FILTER (WHERE dead_at IS NULL))[1] > 0 AS head_retrying,"
        + " bool_or(dead_at IS NOT NULL) AS has_dead,"
        + " min(created_at) FILTER (WHERE dead_at IS NULL) AS oldest_pending"
        + " FROM " + table
        + " WHERE order_key IS NOT NULL" + (channelFilter ? " AND channel = ANY(?)" : "")
        + " GROUP BY channel, order_key) k GROUP BY channel";
  }
  public final String maxId;
  /**
   * recoverOnStart(false): the largest id, and the transactions in flight, in one snapshot (their xids as xmin
   * shows them, 32 bits, and in full).
   */
  public final String maxIdAndWriters;
  /**
   * The smallest id at or below the start's largest id stored by one of the transactions in flight at start
   * (null if none), and whether they have all ended, in one snapshot. Parameters: largest id, xmins, xids.
   */
  public final String inFlightRows;

  public Sql(String schema, boolean filter) {
    table = SchemaNames.table(schema, "pgpubsub_notification"); // validates the schema name
    broadcastTable = SchemaNames.table(schema, "pgpubsub_broadcast");
    claimDelete =
        "DELETE FROM " + table + " WHERE id = ANY(ARRAY(" + ready(table, filter) + ")) RETURNING " + COLUMNS;
    claimBatch = PIN_CLAIM_PLAN + "; " + claimDelete + "; " + UNPIN_CLAIM_PLAN;
    // FOR UPDATE is not allowed in the arms of a UNION: the two parts are CTEs, the second takes what is left
    orderedClaimDelete =
        "WITH u AS MATERIALIZED ("
            + ready(table, filter)
            + "), o AS MATERIALIZED ("
            + orderedReady(table, filter).replace(" LIMIT ? FOR UPDATE", " LIMIT greatest(? - (SELECT count(*) FROM u), 0) FOR UPDATE")
            + ") DELETE FROM "
            + table
            + " WHERE id = ANY(ARRAY(SELECT id FROM u UNION ALL SELECT id FROM o)) RETURNING "
            + COLUMNS;
    orderedClaimBatch = PIN_CLAIM_PLAN + "; " + orderedClaimDelete + "; " + UNPIN_CLAIM_PLAN;
    orderedWindowClaimDelete =
        "WITH u AS MATERIALIZED ("
            + ready(table, filter)
            + "), o AS MATERIALIZED ("
            + orderedWindowReady(table, filter)
                .replace(" LIMIT ? FOR UPDATE", " LIMIT greatest(? - (SELECT count(*) FROM u), 0) FOR UPDATE")
            + ") DELETE FROM "
            + table
            + " WHERE id = ANY(ARRAY(SELECT id FROM u UNION ALL SELECT id FROM o)) RETURNING "
            + COLUMNS;
    orderedWindowClaimBatch = PIN_CLAIM_PLAN + "; " + orderedWindowClaimDelete + "; " + UNPIN_CLAIM_PLAN;
    keyLegacyRows =
        "UPDATE " + table + " SET order_key = '' WHERE channel = ANY(?::text[]) AND order_key IS NULL";
    lockIds =
        "SELECT "
            + COLUMNS
            + " FROM "
            + table
            + " WHERE id = ANY(?) AND dead_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= clock_timestamp())"
            + " ORDER BY id FOR UPDATE SKIP LOCKED";
    lockOne = "SELECT " + COLUMNS + " FROM " + table + " WHERE id = ? AND dead_at IS NULL FOR UPDATE";
    String restore =
        "INSERT INTO "
            + table
            + " (id, channel, payload, created_at, order_key, attempts, last_error, next_attempt_at, dead_at)"
            + " OVERRIDING SYSTEM VALUE VALUES (?, ?, ?::jsonb, ?, ?, ?, ?, ";
    restoreRetry = restore + "clock_timestamp() + ? * interval '1 millisecond', NULL)";
    restoreDead = restore + "NULL, clock_timestamp())";
    deleteIds = "DELETE FROM " + table + " WHERE id = ANY(?)";
    markRetry =
        "UPDATE "
            + table
            + " SET attempts = attempts + 1, next_attempt_at = clock_timestamp() + ? * interval '1 millisecond',"
            + " last_error = ? WHERE id = ?";
    markDead =
        "UPDATE "
            + table
            + " SET attempts = attempts + 1, next_attempt_at = NULL, dead_at = clock_timestamp(), last_error = ? WHERE id = ?";
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
    maxIdAndWriters =
        "SELECT coalesce(max(id), 0),"
            + " ARRAY(SELECT x::text::bigint % 4294967296 FROM pg_snapshot_xip(pg_current_snapshot()) AS x),"
            + " ARRAY(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x) FROM "
            + table;
    inFlightRows =
        "SELECT (SELECT min(id) FROM "
            + table
            + " WHERE id <= ? AND xmin::text::bigint = ANY(?)),"
            + " (SELECT bool_and(pg_visible_in_snapshot(x::xid8, pg_current_snapshot())) FROM unnest(?::text[]) AS x)";
  }
}
