package io.pgpubsub.benchmarks;

import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.Listener;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Notifier;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ordered channels (issue 24) against the same channel unordered, in one run, on one PostgreSQL:
 *
 * <ul>
 *   <li>drain: a backlog of {@code --rows} notifications spread over {@code --keys} keys, drained by one
 *       listener ({@code --workers} workers, batches of {@code --batch}), ordered against unordered;
 *   <li>drain of one key (every notification its own batch), reported;
 *   <li>write overhead: {@code --writers} threads sending single-notification transactions, ordered (a random
 *       key of {@code --keys}) against unordered.
 * </ul>
 *
 * Each pair runs {@code --rounds} times, alternating, and the best of each side is compared. Usage: {@code
 * ./mvnw -B -q -Pbench -pl benchmarks -am verify -DskipTests -Dbench.mainClass=io.pgpubsub.benchmarks.OrderedProbe
 * -Dbench.args="--rows=20000"}.
 */
public final class OrderedProbe {

  /** The payload of both channels. */
  public record Keyed(String key, long n) {}

  private static final AtomicLong PROCESSED = new AtomicLong();

  private OrderedProbe() {}

  static ChannelDefinition channel(String name, boolean ordered) {
    ListenerDefinition l =
        new ListenerDefinition(
            "OrderedProbe#on", ListenerKind.PLAIN, OrderedProbe.class, true, (t, inv) -> PROCESSED.incrementAndGet());
    return new ChannelDefinition(
        name, Keyed.class, false, true, true, null, null, Set.of(), Keyed.class.getName(), null, List.of(l), null,
        ordered, DeadKeyPolicy.MOVE_ON);
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int rows = args.getInt("rows", 20_000);
    int keys = args.getInt("keys", 1_000);
    int workers = args.getInt("workers", 4);
    int batch = args.getInt("batch", 100);
    int oneKeyRows = args.getInt("one-key-rows", 2_000);
    int writes = args.getInt("writes", 4_000);
    int writers = args.getInt("writers", 4);
    int rounds = args.getInt("rounds", 2);
    try (BenchDatabase db = BenchDatabase.open(args.get("jdbc-url", null))) {
      try (Connection c = db.connect()) {
        NotificationTable.install(c, NotificationTable.DEFAULT_SCHEMA);
      }
      ChannelDefinition unordered = channel("probe_unordered", false);
      ChannelDefinition ordered = channel("probe_ordered", true);
      System.out.printf(
          Locale.ROOT, "OrderedProbe: %d rows over %d keys, %d workers, batches of %d, %d round(s), %s%n", rows, keys,
          workers, batch, rounds, db.embedded() ? "embedded PostgreSQL" : "PostgreSQL at the given URL");
      double bestUnordered = 0;
      double bestOrdered = 0;
      for (int r = 0; r < rounds; r++) {
        double u = drain(db, unordered, rows, keys, workers, batch);
        double o = drain(db, ordered, rows, keys, workers, batch);
        System.out.printf(Locale.ROOT, "  round %d: drain unordered %.0f/s, ordered (%d keys) %.0f/s%n", r + 1, u, keys, o);
        bestUnordered = Math.max(bestUnordered, u);
        bestOrdered = Math.max(bestOrdered, o);
      }
      double oneKey = 0;
      for (int r = 0; r < rounds; r++) {
        oneKey = Math.max(oneKey, drain(db, ordered, oneKeyRows, 1, workers, batch));
      }
      double writeUnordered = 0;
      double writeOrdered = 0;
      for (int r = 0; r < rounds; r++) {
        double u = write(db, unordered, writes, writers, keys);
        double o = write(db, ordered, writes, writers, keys);
        System.out.printf(Locale.ROOT, "  round %d: writes unordered %.0f/s, ordered %.0f/s%n", r + 1, u, o);
        writeUnordered = Math.max(writeUnordered, u);
        writeOrdered = Math.max(writeOrdered, o);
      }
      System.out.printf(
          Locale.ROOT,
          "RESULT drain %d keys: ordered %.0f/s, unordered %.0f/s, ratio %.2fx (target >= 0.8x)%n",
          keys, bestOrdered, bestUnordered, bestOrdered / bestUnordered);
      System.out.printf(Locale.ROOT, "RESULT drain 1 key: ordered %.0f/s (%d rows)%n", oneKey, oneKeyRows);
      System.out.printf(
          Locale.ROOT,
          "RESULT writes (%d writers, 1 notification per transaction): ordered %.0f/s, unordered %.0f/s, ratio"
              + " %.2fx (target >= 0.9x)%n",
          writers, writeOrdered, writeUnordered, writeOrdered / writeUnordered);
    }
  }

  /** Stores {@code rows} notifications (keys round-robin), then drains them with a new listener: rows per second. */
  private static double drain(BenchDatabase db, ChannelDefinition channel, int rows, int keys, int workers, int batch)
      throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE pgpubsub_notification");
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO pgpubsub_notification (channel, payload, order_key) SELECT ?, jsonb_build_object('op',"
                  + " 'NOTIFY', 'new', jsonb_build_object('key', 'k' || (g % ?), 'n', g), 'context', '{}'::jsonb,"
                  + " 'v', ?), CASE WHEN ? THEN 'k' || (g % ?) END FROM generate_series(1, ?) g ORDER BY g")) {
        ps.setString(1, channel.name());
        ps.setInt(2, keys);
        ps.setString(3, Keyed.class.getName());
        ps.setBoolean(4, channel.ordered());
        ps.setInt(5, keys);
        ps.setInt(6, rows);
        ps.execute();
      }
      s.execute("VACUUM ANALYZE pgpubsub_notification");
    }
    PROCESSED.set(0);
    long t0 = System.nanoTime();
    try (Listener listener =
        Listener.builder()
            .jdbcUrl(db.jdbcUrl())
            .channelDefinitions(List.of(channel))
            .workers(workers)
            .batchSize(batch)
            .pollInterval(Duration.ofSeconds(1))
            .build()
            .start()) {
      listener.drain(Duration.ofMinutes(10));
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (PROCESSED.get() != rows) {
        throw new IllegalStateException("processed " + PROCESSED.get() + " of " + rows);
      }
      return rows / seconds;
    }
  }

  /** {@code writers} threads, each sending its share of {@code total} notifications one per transaction. */
  private static double write(BenchDatabase db, ChannelDefinition channel, int total, int writers, int keys)
      throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      s.execute("TRUNCATE pgpubsub_notification");
    }
    Notifier notifier = Notifier.create("public", List.of(channel));
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      long t0 = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        done.add(pool.submit(() -> {
          try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < total / writers; i++) {
              String key = "k" + ThreadLocalRandom.current().nextInt(keys);
              notifier.send(c, new Keyed(key, i), channel.ordered() ? key : null);
              c.commit();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      return (total / writers * writers) / ((System.nanoTime() - t0) / 1e9);
    } finally {
      pool.shutdownNow();
    }
  }
}
