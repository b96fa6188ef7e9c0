package io.pgpubsub.benchmarks;

import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.Listener;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Transport;
import io.pgpubsub.WalTransport;
import io.pgpubsub.internal.WalTriggers;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;

/**
 * Issue 29: the WAL transport against the same writes with no trigger and against the table transport, in one
 * run, on one server.
 *
 * <ol>
 *   <li>Write overhead (ratio to no trigger): JDBC 1 row/tx, and 10,000 rows in 1 tx as batches of 50 with {@code
 *       reWriteBatchedInserts} (what Hibernate's bulk insert sends), for: the generated trigger of the table
 *       transport; (a) the same trigger rewritten to {@code pg_logical_emit_message}; (b) no trigger, the table in
 *       a publication with {@code REPLICA IDENTITY FULL} and a pgoutput slot (decoding the table's own changes).
 *       Also 1-row updates with and without {@code REPLICA IDENTITY FULL}, the write cost particular to (b).
 *   <li>Decoding (logical servers only): the same backlog of 1-row transactions read raw from a slot, (a) as
 *       logical messages, (b) as pgoutput row changes.
 *   <li>Drain and live latency of a {@link Listener} with a no-op callback: table transport against WAL transport.
 * </ol>
 *
 * Usage: {@code ./mvnw -B -q -Pbench -pl benchmarks -am verify -DskipTests
 * -Dbench.mainClass=io.pgpubsub.benchmarks.WalProbe -Dbench.args="--seconds=3 --rounds=3"}; {@code
 * --jdbc-url=...} for another server (the embedded one starts with {@code wal_level = logical}).
 */
public final class WalProbe {

  private static final AtomicLong SEQ = new AtomicLong();
  private static final AtomicLong PROCESSED = new AtomicLong();
  private static final Map<Long, Long> SENT = new ConcurrentHashMap<>();
  private static final long[] LAT = new long[200_000];
  private static final AtomicLong LAT_N = new AtomicLong();

  /** What the callbacks read of a row. */
  public record Row(long seq) {}

  private WalProbe() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int seconds = args.getInt("seconds", 3);
    int rounds = args.getInt("rounds", 3);
    int bulk = args.getInt("bulk", 10_000);
    int backlog = args.getInt("backlog", 20_000);
    String url = args.get("jdbc-url", null);
    EmbeddedPostgres embedded = null;
    if (url == null) {
      embedded = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical").start();
      url = embedded.getJdbcUrl("postgres", "postgres");
    }
    try {
      run(url, seconds, rounds, bulk, backlog);
    } finally {
      if (embedded != null) {
        embedded.close();
      }
    }
  }

  static void run(String url, int seconds, int rounds, int bulk, int backlog) throws Exception {
    ChannelDefinition generated = BenchChannel.definition();
    String tableDdl = BenchChannel.triggerDdl();
    String walDdl = WalTriggers.rewrite(generated, tableDdl);
    boolean logical;
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      NotificationTable.install(c, NotificationTable.DEFAULT_SCHEMA);
      s.execute(BenchEvent.TABLE_DDL);
      try (ResultSet rs = s.executeQuery("select current_setting('wal_level'), version(), current_setting('fsync'),"
          + " current_setting('synchronous_commit')")) {
        rs.next();
        logical = rs.getString(1).equals("logical");
        System.out.printf("server: %s; wal_level=%s fsync=%s synchronous_commit=%s; %s%n", rs.getString(2),
            rs.getString(1), rs.getString(3), rs.getString(4), url.replaceAll("password=[^&]*", "password=****"));
      }
    }
    System.out.printf(Locale.ROOT, "load: %s%n", java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
    Map<String, String> variants = new LinkedHashMap<>();
    variants.put("no trigger", null);
    variants.put("table transport (generated trigger)", tableDdl);
    variants.put("(a) WAL: trigger + pg_logical_emit_message", walDdl);
    // the floors: the same statement-level trigger shape with a constant payload, so that what the JSON costs shows
    variants.put("floor of the table: trigger inserting a constant row", floor(
        "INSERT INTO public.pgpubsub_notification (channel, payload) SELECT 'bench_floor', '{}' FROM new_rows"));
    variants.put("floor of (a): trigger emitting a constant message", floor(
        "PERFORM pg_logical_emit_message(true, 'pgpubsub:bench_floor', '{}') FROM new_rows"));
    variants.put("(b) pgoutput: no trigger, publication, REPLICA IDENTITY FULL", "pgoutput");
    System.out.println("\n== write overhead, best of " + rounds + " rounds of " + seconds + " s, ratio to no trigger ==");
    for (String what : new String[] {"1 row/tx", bulk + " rows/tx (batches of 50, reWriteBatchedInserts)"}) {
      Map<String, Double> best = new LinkedHashMap<>();
      for (int r = 0; r < rounds; r++) {
        for (Map.Entry<String, String> v : variants.entrySet()) {
          if ("pgoutput".equals(v.getValue()) && !logical) {
            continue;
          }
          setUp(url, v.getValue());
          double rate = what.startsWith("1 row") ? singleRows(url, seconds) : bulkRows(url, seconds, bulk);
          best.merge(v.getKey(), rate, Math::max);
        }
      }
      report(what, best);
    }
    {
      Map<String, Double> best = new LinkedHashMap<>();
      for (int r = 0; r < rounds; r++) {
        setUp(url, null);
        best.merge("update 1 row/tx, default replica identity", updates(url, seconds, false), Math::max);
        best.merge("update 1 row/tx, REPLICA IDENTITY FULL (b needs it for old values)", updates(url, seconds, true), Math::max);
      }
      report("updates (the cost particular to b)", best);
    }
    setUp(url, null);
    if (!logical) {
      System.out.println("\nwal_level is not logical here: decoding, drain and live latency are measured on the embedded"
          + " server only");
      return;
    }
    System.out.println("\n== decoding: a backlog of " + backlog + " 1-row transactions read raw from a fresh slot ==");
    for (int r = 0; r < Math.min(rounds, 2); r++) {
      System.out.printf(Locale.ROOT, "(a) logical messages: %,.0f changes/s%n", rawDecode(url, walDdl, backlog, false));
      System.out.printf(Locale.ROOT, "(b) pgoutput row changes: %,.0f changes/s%n", rawDecode(url, null, backlog, true));
    }
    setUp(url, null);
    System.out.println("\n== drain of a backlog of " + backlog + " (1-row transactions), a Listener with a no-op callback, 2 workers ==");
    ChannelDefinition channel = probeChannel(generated);
    for (int r = 0; r < Math.min(rounds, 2); r++) {
      System.out.printf(Locale.ROOT, "table transport: %,.0f notifications/s%n", drain(url, channel, tableDdl, Transport.TABLE, backlog));
      System.out.printf(Locale.ROOT, "WAL transport:   %,.0f notifications/s%n", drain(url, channel, walDdl, Transport.WAL, backlog));
    }
    System.out.println("\n== live latency: 1 writer, 200 tx/s for " + seconds * 2 + " s, commit -> callback ==");
    System.out.println("table transport: " + live(url, channel, tableDdl, Transport.TABLE, seconds * 2));
    System.out.println("WAL transport:   " + live(url, channel, walDdl, Transport.WAL, seconds * 2));
    String delay;
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT current_setting('synchronous_commit'), current_setting('wal_writer_delay')")) {
      rs.next();
      delay = rs.getString(2);
      if (rs.getString(1).equals("off")) {
        // a walsender sends only flushed WAL: with synchronous_commit = off, the WAL writer's flush paces it
        s.execute("ALTER SYSTEM SET wal_writer_delay = '10ms'");
        s.execute("SELECT pg_reload_conf()");
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
        System.out.println("WAL transport, wal_writer_delay 10ms (was " + delay + "): "
            + live(url, channel, walDdl, Transport.WAL, seconds * 2));
        System.out.println("table transport, wal_writer_delay 10ms: " + live(url, channel, tableDdl, Transport.TABLE, seconds * 2));
        s.execute("ALTER SYSTEM RESET wal_writer_delay");
        s.execute("SELECT pg_reload_conf()");
      }
    }
    setUp(url, null);
  }

  private static String floor(String statement) {
    return "CREATE OR REPLACE FUNCTION public.wal_probe_floor() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + statement + "; RETURN NULL; END $$;"
        + " CREATE TRIGGER wal_probe_floor AFTER INSERT ON public.bench_event REFERENCING NEW TABLE AS new_rows"
        + " FOR EACH STATEMENT EXECUTE FUNCTION public.wal_probe_floor()";
  }

  private static void report(String what, Map<String, Double> best) {
    Double base = best.values().iterator().next();
    System.out.println("-- " + what);
    for (Map.Entry<String, Double> e : best.entrySet()) {
      System.out.printf(Locale.ROOT, "  %-70s %,10.0f rows/s  %.2fx%n", e.getKey(), e.getValue(), e.getValue() / base);
    }
  }

  /** Drops every trigger, publication and slot of the probe, then installs the variant. */
  static void setUp(String url, String variant) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("DO $$ DECLARE t record; BEGIN FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'public.bench_event'::regclass"
          + " AND NOT tgisinternal LOOP EXECUTE format('DROP TRIGGER %I ON public.bench_event', t.tgname); END LOOP; END $$");
      s.execute("ALTER TABLE public.bench_event REPLICA IDENTITY DEFAULT");
      s.execute("DROP PUBLICATION IF EXISTS wal_probe_rows");
      s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'wal_probe%'");
      s.execute("TRUNCATE public.bench_event, public.pgpubsub_notification");
      if ("pgoutput".equals(variant)) {
        s.execute("ALTER TABLE public.bench_event REPLICA IDENTITY FULL");
        s.execute("CREATE PUBLICATION wal_probe_rows FOR TABLE public.bench_event");
        s.execute("SELECT pg_create_logical_replication_slot('wal_probe_b', 'pgoutput')");
      } else if (variant != null) {
        s.execute(variant);
      }
      s.execute("CHECKPOINT");
    }
  }

  static double singleRows(String url, int seconds) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps = c.prepareStatement("INSERT INTO public.bench_event (seq, writer, note) VALUES (?, 1, 'probe')")) {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long n = 0;
      long t0 = System.nanoTime();
      while (System.nanoTime() < end) {
        ps.setLong(1, SEQ.incrementAndGet());
        ps.executeUpdate();
        n++;
      }
      return n / ((System.nanoTime() - t0) / 1e9);
    }
  }

  static double bulkRows(String url, int seconds, int rows) throws Exception {
    Properties p = new Properties();
    p.setProperty("reWriteBatchedInserts", "true");
    try (Connection c = DriverManager.getConnection(url, p);
        PreparedStatement ps = c.prepareStatement("INSERT INTO public.bench_event (seq, writer, note) VALUES (?, 1, 'probe')")) {
      c.setAutoCommit(false);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long n = 0;
      long t0 = System.nanoTime();
      while (System.nanoTime() < end) {
        for (int i = 0; i < rows; i++) {
          ps.setLong(1, SEQ.incrementAndGet());
          ps.addBatch();
          if ((i + 1) % 50 == 0) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
        c.commit();
        n += rows;
      }
      return n / ((System.nanoTime() - t0) / 1e9);
    }
  }

  static double updates(String url, int seconds, boolean full) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute("ALTER TABLE public.bench_event REPLICA IDENTITY " + (full ? "FULL" : "DEFAULT"));
      s.execute("INSERT INTO public.bench_event (seq, writer, note) SELECT g, 1, 'probe' FROM generate_series(1, 1000) g");
      long min;
      try (ResultSet rs = s.executeQuery("SELECT min(id) FROM public.bench_event")) {
        rs.next();
        min = rs.getLong(1);
      }
      try (PreparedStatement ps = c.prepareStatement("UPDATE public.bench_event SET seq = seq + 1 WHERE id = ?")) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long n = 0;
        long t0 = System.nanoTime();
        while (System.nanoTime() < end) {
          ps.setLong(1, min + (n % 1000));
          ps.executeUpdate();
          n++;
        }
        return n / ((System.nanoTime() - t0) / 1e9);
      } finally {
        s.execute("ALTER TABLE public.bench_event REPLICA IDENTITY DEFAULT");
      }
    }
  }

  /** Writes {@code n} 1-row transactions after creating a slot, then reads them raw; changes per second read. */
  static double rawDecode(String url, String walDdl, int n, boolean rows) throws Exception {
    setUp(url, rows ? "pgoutput" : walDdl);
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      if (!rows) {
        WalTransport.install(c, "public", List.of());
        s.execute("SELECT pg_create_logical_replication_slot('wal_probe_a', 'pgoutput')");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO public.bench_event (seq, writer, note) VALUES (?, 1, 'probe')")) {
        for (int i = 0; i < n; i++) {
          ps.setLong(1, SEQ.incrementAndGet());
          ps.executeUpdate();
        }
      }
    }
    Properties p = new Properties();
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    long t0 = System.nanoTime();
    try (Connection rc = DriverManager.getConnection(url, p)) {
      PGReplicationStream stream =
          rc.unwrap(PGConnection.class).getReplicationAPI().replicationStream().logical()
              .withSlotName(rows ? "wal_probe_b" : "wal_probe_a")
              .withSlotOption("proto_version", "1")
              .withSlotOption("publication_names", rows ? "wal_probe_rows" : "pgpubsub_wal")
              .withSlotOption("messages", "true")
              .start();
      long seen = 0;
      while (seen < n) {
        ByteBuffer b = stream.read();
        char type = (char) b.get();
        if ((rows && type == 'I') || (!rows && type == 'M')) {
          seen++;
        }
      }
      double rate = n / ((System.nanoTime() - t0) / 1e9);
      stream.close();
      return rate;
    }
  }

  static ChannelDefinition probeChannel(ChannelDefinition d) {
    ListenerDefinition l =
        new ListenerDefinition("WalProbe#on", ListenerKind.POST_INSERT, WalProbe.class, true, (t, inv) -> {
          long seq = inv.newValue(Row.class).seq();
          Long sent = SENT.remove(seq);
          if (sent != null) {
            long i = LAT_N.getAndIncrement();
            if (i < LAT.length) {
              LAT[(int) i] = System.nanoTime() - sent;
            }
          }
          PROCESSED.incrementAndGet();
        });
    return new ChannelDefinition(d.name(), Row.class, true, true, d.pgNotify(), d.schema(), d.table(), d.operations(),
        d.mappingVersion(), d.ddlResource(), List.of(l), d.installed(), false, DeadKeyPolicy.MOVE_ON);
  }

  static Listener listener(String url, ChannelDefinition channel, Transport transport) {
    Listener.Builder b = Listener.builder().jdbcUrl(url).channelDefinitions(List.of(channel)).workers(2);
    if (transport == Transport.WAL) {
      b.transport(Transport.WAL).walSlot("wal_probe_listener");
    }
    return b.build();
  }

  static double drain(String url, ChannelDefinition channel, String ddl, Transport transport, int n) throws Exception {
    setUp(url, ddl);
    if (transport == Transport.WAL) {
      try (Connection c = DriverManager.getConnection(url)) {
        WalTransport.resetSlot(c, "public", "wal_probe_listener");
      }
    }
    // the WAL listener creates its slot at its first start; what was written before is not its
    try (Listener warm = listener(url, channel, transport).start()) {
      awaitListening(warm);
    }
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps = c.prepareStatement("INSERT INTO public.bench_event (seq, writer, note) VALUES (?, 1, 'probe')")) {
      for (int i = 0; i < n; i++) {
        ps.setLong(1, SEQ.incrementAndGet());
        ps.executeUpdate();
      }
    }
    PROCESSED.set(0);
    long t0 = System.nanoTime();
    try (Listener l = listener(url, channel, transport).start()) {
      while (PROCESSED.get() < n) {
        if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(5)) {
          throw new IllegalStateException("drain did not finish: " + PROCESSED.get() + " of " + n);
        }
        LockSupport.parkNanos(1_000_000);
      }
      return n / ((System.nanoTime() - t0) / 1e9);
    } finally {
      if (transport == Transport.WAL) {
        try (Connection c = DriverManager.getConnection(url)) {
          WalTransport.resetSlot(c, "public", "wal_probe_listener");
        }
      }
    }
  }

  static String live(String url, ChannelDefinition channel, String ddl, Transport transport, int seconds) throws Exception {
    setUp(url, ddl);
    if (transport == Transport.WAL) {
      try (Connection c = DriverManager.getConnection(url)) {
        WalTransport.resetSlot(c, "public", "wal_probe_listener");
      }
    }
    LAT_N.set(0);
    SENT.clear();
    try (Listener l = listener(url, channel, transport).start();
        Connection c = DriverManager.getConnection(url);
        PreparedStatement ps = c.prepareStatement("INSERT INTO public.bench_event (seq, writer, note) VALUES (?, 1, 'probe')")) {
      awaitListening(l);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      long next = System.nanoTime();
      while (System.nanoTime() < end) {
        long seq = SEQ.incrementAndGet();
        ps.setLong(1, seq);
        SENT.put(seq, System.nanoTime()); // autocommit: the commit returns with executeUpdate
        ps.executeUpdate();
        next += 5_000_000;
        LockSupport.parkNanos(next - System.nanoTime());
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!SENT.isEmpty() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(1_000_000);
      }
    } finally {
      if (transport == Transport.WAL) {
        try (Connection c = DriverManager.getConnection(url)) {
          WalTransport.resetSlot(c, "public", "wal_probe_listener");
        }
      }
    }
    int n = (int) Math.min(LAT_N.get(), LAT.length);
    long[] l = Arrays.copyOf(LAT, n);
    Arrays.sort(l);
    if (n == 0) {
      return "no callback";
    }
    return String.format(Locale.ROOT, "%d changes, p50 %.2f ms, p99 %.2f ms, max %.2f ms (from before the writer's commit)",
        n, l[n / 2] / 1e6, l[(int) (n * 0.99)] / 1e6, l[n - 1] / 1e6);
  }

  private static void awaitListening(Listener l) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!l.isListening()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("listener did not start listening");
      }
      LockSupport.parkNanos(5_000_000);
    }
  }
}
