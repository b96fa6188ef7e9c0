package io.pgpubsub.benchmarks;

import java.util.concurrent.TimeUnit;

/**
 * Write overhead: the same inserts into the entity's table with the generated trigger enabled and disabled
 * (no listener runs; both tables are emptied before each run). Runs alternate between the two, and each side
 * reports its best run, so that a noisy neighbour hurts neither side more than the other.
 */
final class WriteOverhead {

  /** Rows per second with and without the trigger. */
  record Result(double withTrigger, double withoutTrigger) {
    double ratio() {
      return withTrigger / withoutTrigger;
    }
  }

  private final BenchDatabase db;

  WriteOverhead(BenchDatabase db) {
    this.db = db;
  }

  /** {@code rows} one-row transactions over {@code writers} concurrent writers. */
  Result singleRow(int writers, int rows, int rounds) throws Exception {
    once(false, writers, 1, Math.max(writers, rows / 10)); // warm-up (JIT, connections, caches)
    return best(writers, 1, rows, rounds);
  }

  /** One transaction of {@code rows} rows (one JDBC batch). */
  Result bulk(int rows, int rounds) throws Exception {
    once(false, 1, rows, rows); // warm-up
    return best(1, rows, rows, rounds);
  }

  private Result best(int writers, int rowsPerTx, int rows, int rounds) throws Exception {
    double with = 0;
    double without = 0;
    for (int i = 0; i < rounds; i++) {
      boolean triggerFirst = i % 2 == 1;
      double a = once(triggerFirst, writers, rowsPerTx, rows);
      double b = once(!triggerFirst, writers, rowsPerTx, rows);
      with = Math.max(with, triggerFirst ? a : b);
      without = Math.max(without, triggerFirst ? b : a);
    }
    return new Result(with, without);
  }

  private double once(boolean trigger, int writers, int rowsPerTx, int rows) throws Exception {
    db.reset();
    db.trigger(trigger);
    db.execute("VACUUM ANALYZE public.pgpubsub_notification", "VACUUM ANALYZE public.bench_event");
    Writers.Result r = new Writers(db.jdbcUrl(), writers, rowsPerTx, 0).run(rows, TimeUnit.HOURS.toNanos(1), null);
    long stored = db.count("SELECT count(*) FROM public.pgpubsub_notification");
    if (r.rows() != rows || stored != (trigger ? rows : 0)) {
      throw new IllegalStateException(
          "write overhead: wrote " + r.rows() + " of " + rows + " rows, " + stored + " notifications stored (trigger "
              + (trigger ? "on" : "off") + ")");
    }
    db.trigger(true);
    return r.rowsPerSecond();
  }
}
