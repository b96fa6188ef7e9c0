package io.pgpubsub.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Schema;
import io.pgpubsub.StreamEvent;
import io.pgpubsub.StreamPage;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.StreamReader;
import io.pgpubsub.Streams;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Streams (issue 25), each figure against a baseline measured in the same run on the same PostgreSQL:
 *
 * <ul>
 *   <li>read: {@code --events} stored events (transactions of 1,000) read with {@code Streams.read} in pages of
 *       1,000, against one plain JDBC {@code SELECT ... ORDER BY xid, id} (fetch size 1,000) building the same
 *       {@code StreamEvent}s; {@code --rounds} alternating passes after a warm-up, total time of each side;
 *   <li>latency: one writer inserting one row per transaction into the stream channel's table (the generated
 *       stream trigger) at {@code --rate} per second for {@code --latency-events} events, a {@code StreamReader}
 *       subscription receiving them: time from just before {@code commit()} to the subscriber, p50/p99/max. The
 *       baseline: the same pacing with a raw {@code pg_notify} per transaction and a dedicated LISTEN connection
 *       (the floor of any push from PostgreSQL);
 *   <li>write overhead: {@code --writers} threads inserting {@code --writes} single-row transactions into the same
 *       table, with the generated stream trigger enabled, against today's generated lockable trigger (with an
 *       idle listener's lock held, so that it sends its NOTIFY as it does while a listener waits; and with no
 *       listener, where it skips the NOTIFY); {@code --rounds} rounds alternating, best of each.
 * </ul>
 *
 * Usage: {@code ./mvnw -B -q -Pbench -pl benchmarks -am verify -DskipTests
 * -Dbench.mainClass=io.pgpubsub.benchmarks.StreamProbe -Dbench.args="--rounds=3"}.
 */
public final class StreamProbe {

  private static final ObjectMapper JSON = new ObjectMapper();

  private StreamProbe() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int events = args.getInt("events", 200_000);
    int rounds = args.getInt("rounds", 3);
    int rate = args.getInt("rate", 500);
    int latencyEvents = args.getInt("latency-events", 10_000);
    int writers = args.getInt("writers", 4);
    int writes = args.getInt("writes", 8_000);
    try (BenchDatabase db = BenchDatabase.open(args.get("jdbc-url", null))) {
      Streams streams = Streams.create("public");
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        NotificationTable.install(c, NotificationTable.DEFAULT_SCHEMA);
        streams.install(c);
        s.execute(StreamProbeEvent.TABLE_DDL);
        s.execute(Schema.triggerDdl(definition(StreamProbeEvent.CHANNEL)));
        s.execute(Schema.triggerDdl(definition(LockableProbeEvent.CHANNEL)));
        System.out.printf(
            Locale.ROOT, "StreamProbe on %s: %s, load average %s%n",
            db.embedded() ? "embedded PostgreSQL" : "PostgreSQL at the given URL", settings(s), loadAverage());
      }
      read(db, streams, events, rounds);
      latency(db, streams, rate, latencyEvents);
      writeOverhead(db, writers, writes, rounds);
    }
  }

  static ChannelDefinition definition(String channel) {
    for (ChannelDefinition c : Registries.channels(StreamProbe.class.getClassLoader())) {
      if (c.name().equals(channel)) {
        return c;
      }
    }
    throw new IllegalStateException("no generated channel '" + channel + "': compile with pgpubsub-processor");
  }

  // ---------------------------------------------------------------------------------------------------- read

  private static void read(BenchDatabase db, Streams streams, int events, int rounds) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("DELETE FROM pgpubsub_stream_event WHERE stream = 'probe_read'");
      for (int t = 0; t < events / 1000; t++) {
        s.execute(
            "INSERT INTO pgpubsub_stream_event (stream, payload) SELECT 'probe_read', jsonb_build_object('op',"
                + " 'INSERT', 'table', 'purchase', 'old', NULL::jsonb, 'new', jsonb_build_object('id', g, 'status',"
                + " 'PAID', 'customer', 'c' || (g % 977)), 'context', '{}'::jsonb, 'v', 'abc')"
                + " FROM generate_series(1, 1000) g");
      }
      s.execute("VACUUM ANALYZE pgpubsub_stream_event");
      int expected = events / 1000 * 1000;
      check(streamRead(streams, c), expected);
      check(plainRead(c), expected);
      long streamNanos = 0;
      long plainNanos = 0;
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        check(streamRead(streams, c), expected);
        long t1 = System.nanoTime();
        check(plainRead(c), expected);
        long t2 = System.nanoTime();
        streamNanos += t1 - t0;
        plainNanos += t2 - t1;
        System.out.printf(
            Locale.ROOT, "  read pass %d: Streams.read %.0f ms, plain JDBC %.0f ms%n", r + 1, (t1 - t0) / 1e6,
            (t2 - t1) / 1e6);
      }
      System.out.printf(
          Locale.ROOT,
          "RESULT read %,d stored events: Streams.read %.0f ms/pass (%.0f events/s), plain JDBC %.0f ms/pass,"
              + " ratio %.2fx (target >= 0.8x)%n",
          expected, streamNanos / 1e6 / rounds, expected / (streamNanos / 1e9 / rounds), plainNanos / 1e6 / rounds,
          (double) plainNanos / streamNanos);
    }
  }

  private static void check(int n, int expected) {
    if (n != expected) {
      throw new IllegalStateException("read " + n + " events, expected " + expected);
    }
  }

  private static int streamRead(Streams streams, Connection c) throws SQLException {
    int n = 0;
    StreamPosition p = StreamPosition.BEGINNING;
    while (true) {
      StreamPage page = streams.read(c, "probe_read", p, 1000);
      if (page.events().isEmpty()) {
        return n;
      }
      n += page.events().size();
      p = page.next();
    }
  }

  private static int plainRead(Connection c) throws SQLException {
    c.setAutoCommit(false); // a fetch size needs a transaction
    List<StreamEvent> batch = new ArrayList<>(1000);
    int n = 0;
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT xid::text, id, payload::text, created_at FROM pgpubsub_stream_event WHERE stream = ?"
                + " ORDER BY xid, id")) {
      ps.setFetchSize(1000);
      ps.setString(1, "probe_read");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Instant at = rs.getTimestamp(4).toInstant();
          batch.add(
              new StreamEvent(
                  "probe_read", new StreamPosition(Long.parseLong(rs.getString(1)), rs.getLong(2)), rs.getString(3),
                  at));
          if (batch.size() == 1000) {
            n += batch.size();
            batch.clear();
          }
        }
      }
    } finally {
      c.commit();
      c.setAutoCommit(true);
    }
    return n + batch.size();
  }

  // ------------------------------------------------------------------------------------------------- latency

  private static void latency(BenchDatabase db, Streams streams, int rate, int n) throws Exception {
    execute(db, "ALTER TABLE public.stream_probe DISABLE TRIGGER USER",
        "ALTER TABLE public.stream_probe ENABLE TRIGGER \"pgpubsub_" + StreamProbeEvent.CHANNEL + "\"",
        "TRUNCATE public.stream_probe");
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(db.jdbcUrl());
    long[] sent = new long[n + 1];
    long[] received = new long[n + 1];
    AtomicInteger got = new AtomicInteger();
    try (StreamReader reader = StreamReader.builder((DataSource) ds, StreamProbeEvent.CHANNEL).start()) {
      reader.subscribe(
          reader.head(),
          e -> {
            long now = System.nanoTime();
            int seq = JSON.readTree(e.payload()).get("new").get("seq").asInt();
            received[seq] = now;
            got.incrementAndGet();
          });
      paced(db, rate, n, sent, (ps, seq) -> {
        ps.setLong(1, seq);
        ps.executeUpdate();
      }, "INSERT INTO public.stream_probe (seq, note) VALUES (?, 'probe')");
      awaitCount(got, n);
    }
    long[] stream = latencies(sent, received, n);

    // baseline: a raw pg_notify per transaction, one dedicated LISTEN connection
    long[] sentRaw = new long[n + 1];
    long[] receivedRaw = new long[n + 1];
    AtomicInteger gotRaw = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    Thread listener;
    try (Connection listen = db.connect()) {
      try (Statement s = listen.createStatement()) {
        s.execute("LISTEN probe_raw");
      }
      PGConnection pg = listen.unwrap(PGConnection.class);
      listener =
          new Thread(
              () -> {
                try {
                  while (!stop.get()) {
                    PGNotification[] ns = pg.getNotifications(100);
                    long now = System.nanoTime();
                    if (ns != null) {
                      for (PGNotification x : ns) {
                        receivedRaw[Integer.parseInt(x.getParameter())] = now;
                        gotRaw.incrementAndGet();
                      }
                    }
                  }
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              },
              "probe-listen");
      listener.start();
      paced(db, rate, n, sentRaw, (ps, seq) -> {
        ps.setString(1, Integer.toString(seq));
        ps.execute();
      }, "SELECT pg_notify('probe_raw', ?)");
      awaitCount(gotRaw, n);
      stop.set(true);
      listener.join(5_000);
    }
    long[] raw = latencies(sentRaw, receivedRaw, n);
    System.out.printf(
        Locale.ROOT,
        "RESULT commit-to-subscriber at %d events/s, %,d events: stream trigger -> StreamReader subscription p50 %.2f"
            + " ms, p99 %.2f ms, max %.2f ms (target p99 <= 25 ms); baseline raw pg_notify -> LISTEN p50 %.2f ms,"
            + " p99 %.2f ms, max %.2f ms; p99 ratio stream/baseline %.2fx%n",
        rate, n, pct(stream, 50), pct(stream, 99), stream[stream.length - 1] / 1e6, pct(raw, 50), pct(raw, 99),
        raw[raw.length - 1] / 1e6, pct(stream, 99) / pct(raw, 99));
  }

  private interface Write {
    void run(PreparedStatement ps, int seq) throws SQLException;
  }

  /** One writer, one statement per transaction, started every 1/rate s; records the time just before commit. */
  private static void paced(BenchDatabase db, int rate, int n, long[] sent, Write write, String sql)
      throws SQLException {
    long interval = TimeUnit.SECONDS.toNanos(1) / rate;
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      c.setAutoCommit(false);
      long next = System.nanoTime();
      for (int seq = 1; seq <= n; seq++) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        next += interval;
        write.run(ps, seq);
        sent[seq] = System.nanoTime();
        c.commit();
      }
    }
  }

  private static void awaitCount(AtomicInteger got, int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (got.get() < n) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("received " + got.get() + " of " + n + " events within 60 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  private static long[] latencies(long[] sent, long[] received, int n) {
    long[] out = new long[n];
    for (int i = 1; i <= n; i++) {
      out[i - 1] = received[i] - sent[i];
    }
    Arrays.sort(out);
    return out;
  }

  private static double pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * p / 100.0) - 1)] / 1e6;
  }

  // ------------------------------------------------------------------------------------------ write overhead

  private enum Mode {
    STREAM("stream trigger", StreamProbeEvent.CHANNEL, false),
    LOCKABLE_IDLE("lockable trigger, listener idle (NOTIFY sent)", LockableProbeEvent.CHANNEL, true),
    LOCKABLE_NONE("lockable trigger, no listener (NOTIFY skipped)", LockableProbeEvent.CHANNEL, false);

    final String label;
    final String channel;
    final boolean idleLock;

    Mode(String label, String channel, boolean idleLock) {
      this.label = label;
      this.channel = channel;
      this.idleLock = idleLock;
    }
  }

  private static void writeOverhead(BenchDatabase db, int writers, int writes, int rounds) throws Exception {
    double[] best = new double[Mode.values().length];
    for (int r = 0; r < rounds; r++) {
      StringBuilder line = new StringBuilder("  writes round " + (r + 1) + ":");
      for (Mode m : Mode.values()) {
        double rate = writes(db, m, writers, writes);
        best[m.ordinal()] = Math.max(best[m.ordinal()], rate);
        line.append(String.format(Locale.ROOT, " %s %.0f/s;", m.name().toLowerCase(Locale.ROOT), rate));
      }
      System.out.println(line);
    }
    double stream = best[Mode.STREAM.ordinal()];
    System.out.printf(
        Locale.ROOT,
        "RESULT writes (%d writers, 1 row per transaction, best of %d): stream channel %.0f/s, lockable channel with"
            + " an idle listener %.0f/s, ratio %.2fx (target >= 0.9x); lockable with no listener %.0f/s, ratio %.2fx%n",
        writers, rounds, stream, best[Mode.LOCKABLE_IDLE.ordinal()], stream / best[Mode.LOCKABLE_IDLE.ordinal()],
        best[Mode.LOCKABLE_NONE.ordinal()], stream / best[Mode.LOCKABLE_NONE.ordinal()]);
    // leave nothing for other benchmarks sharing the database
    execute(db, "ALTER TABLE public.stream_probe DISABLE TRIGGER USER", "TRUNCATE public.stream_probe",
        "DELETE FROM pgpubsub_notification WHERE channel = '" + LockableProbeEvent.CHANNEL + "'");
  }

  private static double writes(BenchDatabase db, Mode mode, int writers, int total) throws Exception {
    execute(db, "ALTER TABLE public.stream_probe DISABLE TRIGGER USER",
        "ALTER TABLE public.stream_probe ENABLE TRIGGER \"pgpubsub_" + mode.channel + "\"",
        "TRUNCATE public.stream_probe",
        "DELETE FROM pgpubsub_stream_event WHERE stream = '" + StreamProbeEvent.CHANNEL + "'",
        "DELETE FROM pgpubsub_notification WHERE channel = '" + LockableProbeEvent.CHANNEL + "'",
        "VACUUM ANALYZE public.stream_probe, pgpubsub_stream_event, pgpubsub_notification");
    try (Connection idle = db.connect()) {
      if (mode.idleLock) {
        try (Statement s = idle.createStatement()) {
          s.execute("SELECT pg_advisory_lock_shared(" + ChannelNames.IDLE_LOCK + ", "
              + ChannelNames.lockKey("public", LockableProbeEvent.CHANNEL) + ")");
        }
      }
      ExecutorService pool = Executors.newFixedThreadPool(writers);
      try {
        long t0 = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          int writer = w;
          done.add(pool.submit(() -> {
            try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("INSERT INTO public.stream_probe (seq, note) VALUES (?, ?)")) {
              c.setAutoCommit(false);
              for (int i = 0; i < total / writers; i++) {
                ps.setLong(1, (long) writer * total + i);
                ps.setString(2, "a note of about the size an application writes, with some words");
                ps.executeUpdate();
                c.commit();
              }
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
        double rate = (total / writers * writers) / ((System.nanoTime() - t0) / 1e9);
        long stored =
            count(db, mode == Mode.STREAM
                ? "SELECT count(*) FROM pgpubsub_stream_event WHERE stream = '" + StreamProbeEvent.CHANNEL + "'"
                : "SELECT count(*) FROM pgpubsub_notification WHERE channel = '" + LockableProbeEvent.CHANNEL + "'");
        if (stored != total / writers * writers) {
          throw new IllegalStateException(mode + ": " + stored + " events stored for " + total / writers * writers + " writes");
        }
        return rate;
      } finally {
        pool.shutdownNow();
      }
    }
  }

  private static long count(BenchDatabase db, String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // --------------------------------------------------------------------------------------------------- misc

  private static void execute(BenchDatabase db, String... sql) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    }
  }

  private static String settings(Statement s) throws SQLException {
    StringBuilder b = new StringBuilder();
    for (String name : new String[] {"server_version", "fsync", "synchronous_commit"}) {
      try (ResultSet rs = s.executeQuery("SHOW " + name)) {
        rs.next();
        b.append(b.length() == 0 ? "" : ", ").append(name).append('=').append(rs.getString(1));
      }
    }
    return b.toString();
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).strip();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }
}
