package io.pgpubsub.benchmarks;

import io.pgpubsub.benchmarks.BenchDatabase.Trigger;
import java.sql.Connection;
import java.sql.Statement;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Write overhead: the same inserts into the entity's table with each of {@link Trigger}'s triggers and listener
 * states, and with no trigger (no listener process runs; a listener's advisory locks are held by a session
 * of the benchmark where the state needs them; both tables are emptied before each run). Runs rotate between
 * the triggers, and each reports its best run, so that a noisy neighbour hurts none more than the others.
 */
final class WriteOverhead {

  /** A way of writing rows: plain JDBC ({@link Writers}) or Hibernate ({@link HibernateWriters}). */
  interface Client extends AutoCloseable {
    /** {@code JDBC} or {@code Hibernate}: the report's workload column. */
    String name();

    /** Writes {@code rows} entity rows (sequence numbers 1..rows) and says how fast. */
    Writers.Result write(int rows) throws Exception;

    @Override
    default void close() {}
  }

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

  /** Plain JDBC: {@code writers} writers, {@code rowsPerTx} rows per transaction (one JDBC batch when above 1). */
  static Client jdbc(String url, int writers, int rowsPerTx) {
    return new Client() {
      @Override
      public String name() {
        return "JDBC";
      }

      @Override
      public Writers.Result write(int rows) throws Exception {
        return new Writers(url, writers, Math.min(rowsPerTx, rows), 0).run(rows, TimeUnit.HOURS.toNanos(1), null);
      }
    };
  }

  /**
   * {@code rows} rows written by {@code client}, with each trigger, best of {@code rounds} runs each, after a
   * warm-up of {@code warmupRows} rows with no trigger (JIT, connections, caches).
   */
  Result measure(Client client, int rows, int warmupRows, int rounds) throws Exception {
    once(client, Trigger.NONE, warmupRows);
    Map<Trigger, Double> best = new EnumMap<>(Trigger.class);
    Trigger[] order = Trigger.values();
    for (int i = 0; i < rounds; i++) {
      for (int k = 0; k < order.length; k++) {
        Trigger t = order[(i + k) % order.length]; // each round starts with another trigger
        best.merge(t, once(client, t, rows), Math::max);
      }
    }
    return new Result(best);
  }

  private double once(Client client, Trigger trigger, int rows) throws Exception {
    db.reset();
    db.trigger(trigger);
    db.execute("VACUUM ANALYZE public.pgpubsub_notification", "VACUUM ANALYZE public.bench_event");
    Writers.Result r;
    try (Connection listener = trigger.listenerLocks.length > 0 ? db.connect() : null) {
      if (listener != null) {
        try (Statement s = listener.createStatement()) {
          for (String lock : trigger.listenerLocks) {
            s.execute(lock);
          }
        }
      }
      r = client.write(rows);
    }
    long stored = db.count("SELECT count(*) FROM public.pgpubsub_notification");
    if (r.rows() != rows || stored != (trigger == Trigger.NONE ? 0 : rows)) {
      throw new IllegalStateException(
          "write overhead, " + client.name() + ": wrote " + r.rows() + " of " + rows + " rows, " + stored
              + " notifications stored (trigger " + trigger + ")");
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

  /** The URL with pgjdbc's {@code reWriteBatchedInserts} (a JDBC batch of inserts sent as multi-row INSERTs). */
  static String withRewrite(String url) {
    return url + (url.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true";
  }
}
