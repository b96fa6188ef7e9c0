package io.pgpubsub.benchmarks;

import io.pgpubsub.benchmarks.BenchDatabase.Trigger;
import java.sql.Connection;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Write overhead: the same inserts into the entity's table with the default generated trigger (stored row
 * and pg_notify), the same while a listener process is awake (the NOTIFY skipped), with the {@code pgNotify =
 * false} trigger (stored row only), and with no trigger (no listener runs; both tables are emptied before each
 * run). Runs rotate between the three, and each reports its
 * best run, so that a noisy neighbour hurts none more than the others.
 */
final class WriteOverhead {

  /** Rows per second for each trigger. */
  record Result(Map<Trigger, Double> rowsPerSecond) {
    double rate(Trigger t) {
      return rowsPerSecond.get(t);
    }

    double ratio(Trigger t) {
      return rate(t) / rate(Trigger.NONE);
    }
  }

  private final BenchDatabase db;

  WriteOverhead(BenchDatabase db) {
    this.db = db;
  }

  /**
   * {@code rows} one-row transactions over {@code writers} concurrent writers.
   *
   * @param synchronousCommit the writers' {@code synchronous_commit}, or null for the server's setting
   */
  Result singleRow(int writers, int rows, int rounds, String synchronousCommit) throws Exception {
    String url = withSynchronousCommit(db.jdbcUrl(), synchronousCommit);
    once(url, Trigger.NONE, writers, 1, Math.max(writers, rows / 10)); // warm-up (JIT, connections, caches)
    return best(url, writers, 1, rows, rounds);
  }

  /** One transaction of {@code rows} rows (one JDBC batch). */
  Result bulk(int rows, int rounds) throws Exception {
    once(db.jdbcUrl(), Trigger.NONE, 1, rows, rows); // warm-up
    return best(db.jdbcUrl(), 1, rows, rows, rounds);
  }

  private Result best(String url, int writers, int rowsPerTx, int rows, int rounds) throws Exception {
    Map<Trigger, Double> best = new EnumMap<>(Trigger.class);
    Trigger[] order = Trigger.values();
    for (int i = 0; i < rounds; i++) {
      for (int k = 0; k < order.length; k++) {
        Trigger t = order[(i + k) % order.length]; // each round starts with another trigger
        best.merge(t, once(url, t, writers, rowsPerTx, rows), Math::max);
      }
    }
    return new Result(best);
  }

  private double once(String url, Trigger trigger, int writers, int rowsPerTx, int rows) throws Exception {
    db.reset();
    db.trigger(trigger);
    db.execute("VACUUM ANALYZE public.pgpubsub_notification", "VACUUM ANALYZE public.bench_event");
    Writers.Result r;
    try (Connection awake = trigger == Trigger.AWAKE ? db.connect() : null) {
      if (awake != null) {
        try (Statement s = awake.createStatement()) {
          // what a listener process holds while its workers drain (io.pgpubsub.internal.Doorbell.AWAKE)
          s.execute("SELECT pg_advisory_lock(1885827889, hashtext('" + BenchEvent.CHANNEL + "'))");
        }
      }
      r = new Writers(url, writers, rowsPerTx, 0).run(rows, TimeUnit.HOURS.toNanos(1), null);
    }
    long stored = db.count("SELECT count(*) FROM public.pgpubsub_notification");
    if (r.rows() != rows || stored != (trigger == Trigger.NONE ? 0 : rows)) {
      throw new IllegalStateException(
          "write overhead: wrote " + r.rows() + " of " + rows + " rows, " + stored + " notifications stored (trigger "
              + trigger + ")");
    }
    db.trigger(Trigger.NOTIFY);
    return r.rowsPerSecond();
  }

  /** The URL with a session setting of synchronous_commit (pgjdbc's {@code options} parameter). */
  static String withSynchronousCommit(String url, String value) {
    if (value == null) {
      return url;
    }
    return url + (url.contains("?") ? "&" : "?") + "options=-c%20synchronous_commit%3D" + value;
  }
}
