package io.pgpubsub.benchmarks;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.internal.ChannelNames;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The benchmark's PostgreSQL: the JDBC URL in {@code PGPUBSUB_JDBC_URL} (or {@code --jdbc-url=...}) when
 * given, otherwise an embedded PostgreSQL 17 started for the run and stopped at its end. Also the schema
 * (notification table, the entity's table, the generated trigger) and the per-run resets.
 */
final class BenchDatabase implements AutoCloseable {

  static final String URL_ENV = "PGPUBSUB_JDBC_URL";

  private final EmbeddedPostgres embedded;
  private final String jdbcUrl;

  BenchDatabase(EmbeddedPostgres embedded, String jdbcUrl) {
    this.embedded = embedded;
    this.jdbcUrl = jdbcUrl;
  }

  static BenchDatabase open(String url) throws IOException {
    if (url == null || url.isBlank()) {
      url = System.getenv(URL_ENV);
    }
    if (url != null && !url.isBlank()) {
      return new BenchDatabase(null, url);
    }
    EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
    return new BenchDatabase(pg, pg.getJdbcUrl("postgres", "postgres"));
  }

  String jdbcUrl() {
    return jdbcUrl;
  }

  boolean embedded() {
    return embedded != null;
  }

  Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl);
  }

  /** Notification table, the entity's table and its generated trigger (idempotent). */
  void install() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      NotificationTable.install(c, NotificationTable.DEFAULT_SCHEMA);
      s.execute(BenchEvent.TABLE_DDL);
      s.execute(BenchWrite.SEQUENCE_DDL);
      s.execute(BenchChannel.triggerDdl());
      s.execute(BenchChannel.polledTriggerDdl());
      // the same shape as the generated INSERT trigger (one statement-level call, one INSERT ... SELECT per
      // statement), storing a constant instead of the payload
      s.execute(
          "CREATE OR REPLACE FUNCTION public.bench_floor() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
              + " INSERT INTO public.pgpubsub_notification (channel, payload) SELECT 'bench_floor', '{}' FROM new_rows;"
              + " RETURN NULL; END $$");
      s.execute("DROP TRIGGER IF EXISTS bench_floor ON public.bench_event");
      s.execute(
          "CREATE TRIGGER bench_floor AFTER INSERT ON public.bench_event REFERENCING NEW TABLE AS new_rows"
              + " FOR EACH STATEMENT EXECUTE FUNCTION public.bench_floor()");
      // the same, and a NOTIFY per statement, as the generated trigger sends while a listener is idle: the floor
      // of a trigger that stores a row per change and wakes an idle listener
      s.execute(
          "CREATE OR REPLACE FUNCTION public.bench_notify_floor() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
              + " INSERT INTO public.pgpubsub_notification (channel, payload) SELECT 'bench_floor', '{}' FROM new_rows;"
              + " PERFORM pg_notify('bench_floor', ''); RETURN NULL; END $$");
      s.execute("DROP TRIGGER IF EXISTS bench_notify_floor ON public.bench_event");
      s.execute(
          "CREATE TRIGGER bench_notify_floor AFTER INSERT ON public.bench_event REFERENCING NEW TABLE AS new_rows"
              + " FOR EACH STATEMENT EXECUTE FUNCTION public.bench_notify_floor()");
    }
  }

  /**
   * Which of the entity table's triggers is enabled, and which listener state writers meet (the advisory locks
   * a listener process holds in that state, held by a session of the benchmark while the writers run).
   */
  enum Trigger {
    /** none: plain inserts */
    NONE(null, "no trigger", null, false),
    /** the default channel, no listener process running */
    NOTIFY("pgpubsub_" + BenchEvent.CHANNEL, "trigger", "no listener running", false),
    /** the default channel while a listener process waits for work (its workers asleep) */
    IDLE("pgpubsub_" + BenchEvent.CHANNEL, "trigger", "a listener idle", false, idleLocks()),
    /** the default channel while a listener process drains (its workers busy) */
    AWAKE("pgpubsub_" + BenchEvent.CHANNEL, "trigger", "a listener awake", false, awakeLocks()),
    /** {@code pgNotify = false}: stored row only */
    POLLED("pgpubsub_" + BenchPolledEvent.CHANNEL, "pgNotify=false trigger", "no listener running", false),
    /**
     * not generated: a hand-written trigger that stores a constant row ({@code '{}'}) and nothing else, the
     * least any trigger that keeps one row per change can cost
     */
    FLOOR("bench_floor", "constant-row trigger (the floor of storing a row)", "no listener running", true),
    /**
     * not generated: the constant-row trigger plus one {@code pg_notify} per statement, what any trigger that
     * wakes an idle listener costs at least (PostgreSQL serializes the commits of notifying transactions)
     */
    NOTIFY_FLOOR(
        "bench_notify_floor",
        "constant-row trigger with NOTIFY (the floor of waking an idle listener)",
        "a listener idle",
        true);

    final String name;
    /** How the report names the trigger. */
    final String label;
    /** The listener state, one of the phrases the report's metric column uses. */
    final String state;
    /** Not generated: a figure that explains the others (no target applies). */
    final boolean floor;
    /** What a session holds while the writers run, as a listener process in {@link #state} would. */
    final String[] listenerLocks;

    Trigger(String name, String label, String state, boolean floor, String... listenerLocks) {
      this.name = name;
      this.label = label;
      this.state = state;
      this.floor = floor;
      this.listenerLocks = listenerLocks;
    }

    /** The generated trigger of a channel that NOTIFYs (in any listener state). */
    boolean notifies() {
      return this == NOTIFY || this == IDLE || this == AWAKE;
    }

    /** The report's metric column: the trigger and the listener state. */
    String describe() {
      return state == null ? label : label + ", " + state;
    }
  }

  /**
   * An idle listener process holds the channel's "idle" lock in shared mode (core's Doorbell.IDLE): writers
   * NOTIFY. (With no listener running, or all of them draining, nobody holds it and writers skip the NOTIFY.)
   */
  static String[] idleLocks() {
    return new String[] {
      "SELECT pg_advisory_lock_shared(" + ChannelNames.IDLE_LOCK + ", " + ChannelNames.lockKey("public", BenchEvent.CHANNEL) + ")"
    };
  }

  /** A listener process that drains has released its "idle" lock: it holds nothing writers look at. */
  private static String[] awakeLocks() {
    return new String[0];
  }

  /** Empties both tables (identity restarted) and enables the default channel's trigger only. */
  void reset() throws SQLException {
    execute("TRUNCATE public.bench_event, public.pgpubsub_notification RESTART IDENTITY");
    trigger(Trigger.NOTIFY);
  }

  void trigger(Trigger enabled) throws SQLException {
    execute(
        "ALTER TABLE public.bench_event DISABLE TRIGGER USER",
        enabled == Trigger.NONE ? "SELECT 1" : "ALTER TABLE public.bench_event ENABLE TRIGGER \"" + enabled.name + "\"");
  }

  /**
   * Stores a backlog of {@code n} notifications the way an application would: {@code n} inserted rows (seq
   * 1..n) whose trigger stores one notification each; then VACUUM ANALYZE so that every run starts from the
   * same clean table with fresh statistics.
   */
  void backlog(int n) throws SQLException {
    reset();
    execute(
        "INSERT INTO public.bench_event (seq, writer, note)"
            + " SELECT g, 0, " + Writers.NOTE_SQL + " FROM generate_series(1, " + n + ") g",
        "VACUUM ANALYZE public.pgpubsub_notification",
        "VACUUM ANALYZE public.bench_event");
    long stored = count("SELECT count(*) FROM public.pgpubsub_notification WHERE channel = 'bench_event'");
    if (stored != n) {
      throw new IllegalStateException("backlog: expected " + n + " notifications, found " + stored);
    }
  }

  long count(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  void execute(String... sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  /** Server version and the settings that move the figures most. */
  Map<String, String> settings() throws SQLException {
    Map<String, String> m = new LinkedHashMap<>();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String name :
          new String[] {"server_version", "synchronous_commit", "fsync", "shared_buffers", "max_connections"}) {
        try (ResultSet rs = s.executeQuery("SHOW " + name)) {
          rs.next();
          m.put(name, rs.getString(1));
        }
      }
    }
    return m;
  }

  @Override
  public void close() throws IOException {
    if (embedded != null) {
      embedded.close();
    }
  }
}
