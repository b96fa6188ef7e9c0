package io.pgpubsub.internal;

import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;

/**
 * Publishes, every {@value #INTERVAL_SECONDS} s, how many notifications this listener processed per channel
 * and at what rate, into {@code pgpubsub_listener_stats}, one row per listener process and channel (no row is
 * shared, so listeners never wait for each other). {@code pgpubsub status} reads it. Rows of listeners gone
 * for a day are deleted; a listener deletes its own rows when it stops. Switched off when the table does not
 * exist (a schema installed by an older version).
 *
 * <p>Each publication also appends one row per channel to {@code pgpubsub_stats_history}: what the listener
 * processed since the previous one, its rate, and the channel's lag (the age of its oldest pending row, read
 * through the ready index). The dashboard draws throughput and lag over the last hour from it. Each listener
 * deletes its own rows older than {@value #HISTORY_MINUTES} minutes, so the table holds at most one hour of
 * rows per listener and channel (360); rows of listeners gone for a day are deleted by any listener.
 *
 * <p>Each row also tells about the listener's process (when the table has the columns, added by the DDL of
 * this version): when the process (the JVM) started, the listener's configured workers, how many of them were
 * running a callback at the heartbeat, and the library version. The dashboard groups listeners by process with
 * them. The heartbeat also owns the listener's {@link AttemptHistory} and runs its clean-up.
 */
final class Heartbeat {

  static final long INTERVAL_SECONDS = 10;
  static final long HISTORY_MINUTES = 60;

  private final String listener;
  private final String table;
  private final String history;
  private final String notifications;
  private final List<String> channels;
  private final int workers;
  private final IntSupplier busyWorkers;
  private final AttemptHistory attempts;
  private final LongAdder[] processed;
  private final long[] lastCount;
  private final AtomicLong next = new AtomicLong();
  private long lastNanos;
  private volatile boolean enabled;
  private volatile boolean historyEnabled;
  /** The table has the process columns (process_started_at, workers, busy_workers, version). */
  private volatile boolean processColumns;

  Heartbeat(String listenerName, String schema, List<String> channels, int workers, IntSupplier busyWorkers) {
    this.listener = listenerName + "@" + ManagementFactory.getRuntimeMXBean().getName();
    this.workers = workers;
    this.busyWorkers = busyWorkers;
    this.attempts = new AttemptHistory(schema, listener);
    // SQL forms: used in statements and, bound, in to_regclass(?)
    this.table = SchemaNames.table(schema, "pgpubsub_listener_stats");
    this.history = SchemaNames.table(schema, "pgpubsub_stats_history");
    this.notifications = SchemaNames.table(schema, "pgpubsub_notification");
    this.channels = List.copyOf(channels);
    this.processed = new LongAdder[channels.size()];
    for (int i = 0; i < processed.length; i++) {
      processed[i] = new LongAdder();
    }
    this.lastCount = new long[channels.size()];
  }

  /** The counter of {@code channel}, for the dispatcher to increment; null when not served. */
  LongAdder counter(String channel) {
    int i = channels.indexOf(channel);
    return i < 0 ? null : processed[i];
  }

  /** Enables the heartbeat when the stats table exists (checked once at start). */
  void start(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT to_regclass(?) IS NOT NULL, to_regclass(?) IS NOT NULL, EXISTS (SELECT FROM pg_catalog.pg_attribute"
                + " WHERE attrelid = to_regclass(?) AND attname = 'busy_workers' AND attnum > 0 AND NOT attisdropped)")) {
      ps.setString(1, table);
      ps.setString(2, history);
      ps.setString(3, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        enabled = rs.getBoolean(1);
        historyEnabled = enabled && rs.getBoolean(2);
        processColumns = enabled && rs.getBoolean(3);
      }
    }
    attempts.start(c);
    lastNanos = System.nanoTime();
    next.set(lastNanos); // publish at the first opportunity, so 'status' sees the listener at once
  }

  /**
   * How long until the next publication is due (0 if it is), or {@code Long.MAX_VALUE} when the heartbeat is
   * off: an idle worker sleeps no longer than this, so a listener that polls rarely still shows in {@code
   * pgpubsub status} (which counts a listener as live for 30 s after its last heartbeat).
   */
  long nanosUntilDue(long now) {
    return enabled ? Math.max(0, next.get() - now) : Long.MAX_VALUE;
  }

  /** Publishes when due, inside the caller's transaction (which the caller commits). */
  void maybePublish(Connection c) throws SQLException {
    long now = System.nanoTime();
    long due = next.get();
    if (!enabled || now - due < 0 || !next.compareAndSet(due, now + TimeUnit.SECONDS.toNanos(INTERVAL_SECONDS))) {
      return;
    }
    double seconds = Math.max(1e-3, (now - lastNanos) / 1e9);
    lastNanos = now;
    Long[] counts = new Long[channels.size()];
    Long[] deltas = new Long[channels.size()];
    Double[] rates = new Double[channels.size()];
    for (int i = 0; i < counts.length; i++) {
      long total = processed[i].sum();
      counts[i] = total;
      deltas[i] = total - lastCount[i];
      rates[i] = deltas[i] / seconds;
      lastCount[i] = total;
    }
    String insert =
        processColumns
            ? "INSERT INTO "
                + table
                + " (listener, channel, processed, rate_per_second, heartbeat_at, process_started_at, workers,"
                + " busy_workers, version)"
                + " SELECT ?, t.channel, t.processed, t.rate, now(), to_timestamp(? / 1000.0), ?, ?, ?"
                + " FROM unnest(?::text[], ?::bigint[], ?::float8[]) AS t(channel, processed, rate)"
                + " ON CONFLICT (listener, channel) DO UPDATE SET processed = EXCLUDED.processed,"
                + " rate_per_second = EXCLUDED.rate_per_second, heartbeat_at = EXCLUDED.heartbeat_at,"
                + " process_started_at = EXCLUDED.process_started_at, workers = EXCLUDED.workers,"
                + " busy_workers = EXCLUDED.busy_workers, version = EXCLUDED.version"
            : "INSERT INTO "
                + table
                + " (listener, channel, processed, rate_per_second, heartbeat_at)"
                + " SELECT ?, t.channel, t.processed, t.rate, now()"
                + " FROM unnest(?::text[], ?::bigint[], ?::float8[]) AS t(channel, processed, rate)"
                + " ON CONFLICT (listener, channel) DO UPDATE SET processed = EXCLUDED.processed,"
                + " rate_per_second = EXCLUDED.rate_per_second, heartbeat_at = EXCLUDED.heartbeat_at";
    try (PreparedStatement ps = c.prepareStatement(insert)) {
      int p = 1;
      ps.setString(p++, listener);
      if (processColumns) {
        ps.setLong(p++, ManagementFactory.getRuntimeMXBean().getStartTime());
        ps.setInt(p++, workers);
        ps.setInt(p++, Math.min(workers, Math.max(0, busyWorkers.getAsInt())));
        ps.setString(p++, VERSION);
      }
      ps.setArray(p++, c.createArrayOf("text", channels.toArray()));
      ps.setArray(p++, c.createArrayOf("bigint", counts));
      ps.setArray(p, c.createArrayOf("float8", rates));
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM " + table + " WHERE heartbeat_at < now() - interval '1 day'")) {
      ps.executeUpdate();
    }
    if (historyEnabled) {
      appendHistory(c, deltas, rates, seconds);
    }
    attempts.maybeCleanUp(c);
  }

  private void appendHistory(Connection c, Long[] deltas, Double[] rates, double seconds) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + history
                + " (listener, channel, at, seconds, processed, rate_per_second, lag_seconds)"
                + " SELECT ?, t.channel, now(), ?, t.processed, t.rate,"
                + " extract(epoch FROM now() - (SELECT n.created_at FROM "
                + notifications
                + " n WHERE n.channel = t.channel AND n.dead_at IS NULL ORDER BY n.id LIMIT 1))::float8"
                + " FROM unnest(?::text[], ?::bigint[], ?::float8[]) AS t(channel, processed, rate)"
                + " ON CONFLICT (listener, channel, at) DO NOTHING")) {
      ps.setString(1, listener);
      ps.setDouble(2, seconds);
      ps.setArray(3, c.createArrayOf("text", channels.toArray()));
      ps.setArray(4, c.createArrayOf("bigint", deltas));
      ps.setArray(5, c.createArrayOf("float8", rates));
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "DELETE FROM "
                + history
                + " WHERE (listener = ? AND at < now() - interval '"
                + HISTORY_MINUTES
                + " minutes') OR at < now() - interval '1 day'")) {
      ps.setString(1, listener);
      ps.executeUpdate();
    }
  }

  /** Removes this listener's rows (best effort, at stop). */
  void remove(Connection c) throws SQLException {
    if (!enabled) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE listener = ?")) {
      ps.setString(1, listener);
      ps.executeUpdate();
    }
    // its history stays: the dashboard's charts keep showing the last hour after a listener stops
  }

  String listener() {
    return listener;
  }

  /** This listener's record of failed attempts. */
  AttemptHistory attempts() {
    return attempts;
  }

  /** The library version (from the build), or "development" when the resource was not filtered. */
  static final String VERSION = version();

  private static String version() {
    java.util.Properties p = new java.util.Properties();
    try (java.io.InputStream in = Heartbeat.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (java.io.IOException e) {
      // no version: said below
    }
    String v = p.getProperty("version");
    return v == null || v.isBlank() || v.startsWith("${") ? "development" : v;
  }
}
