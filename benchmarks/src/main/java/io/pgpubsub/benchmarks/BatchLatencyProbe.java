package io.pgpubsub.benchmarks;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Where a multi-row transaction's commit-to-callback latency goes, with less noise than the live workload: one
 * writer commits a transaction of {@code --rows} rows, waits until every row was called back, lets the listener
 * go idle, and repeats. Each implementation runs {@code --batches} transactions in turn, in {@code --rounds}
 * alternating rounds, in this JVM. Prints, per implementation and round, the medians (and p90) of the latency of
 * a transaction's first, middle and last row. Not part of the benchmark table; a tool for working on the path.
 *
 * <pre>
 * java -cp ... io.pgpubsub.benchmarks.BatchLatencyProbe --jdbc-url=... [--rows=100] [--batches=300] [--rounds=2]
 * </pre>
 */
public final class BatchLatencyProbe {

  private BatchLatencyProbe() {}

  public static void main(String[] argv) throws Exception {
    Args a = Args.parse(argv);
    int rows = a.getInt("rows", 100);
    int batches = a.getInt("batches", 300);
    int warmup = a.getInt("warmup", 100);
    int rounds = a.getInt("rounds", 2);
    long gapNanos = TimeUnit.MILLISECONDS.toNanos(a.getInt("gap-millis", 30));
    List<String> impls = List.of(a.get("impls", "baseline,library-core,library-hibernate").split(","));
    try (BenchDatabase db = BenchDatabase.open(a.get("jdbc-url", null))) {
      db.install();
      for (int round = 1; round <= rounds; round++) {
        for (String id : impls) {
          Consumer.Impl impl = Consumer.Impl.of(id.trim());
          db.reset();
          db.execute("VACUUM ANALYZE public.pgpubsub_notification", "VACUUM ANALYZE public.bench_event");
          int total = (warmup + batches) * rows;
          Recorder recorder = new Recorder(total);
          long[] first = new long[batches];
          long[] mid = new long[batches];
          long[] last = new long[batches];
          try (Consumer consumer = impl.create(db.jdbcUrl(), recorder, a.getInt("workers", 2), 200);
              Connection c = DriverManager.getConnection(db.jdbcUrl());
              PreparedStatement insert = c.prepareStatement(Writers.INSERT)) {
            consumer.start();
            c.setAutoCommit(false);
            long seq = 0;
            for (int b = -warmup; b < batches; b++) {
              LockSupport.parkNanos(gapNanos); // the listener goes idle, as between the live workload's transactions
              long from = seq + 1;
              for (int i = 0; i < rows; i++) {
                insert.setLong(1, ++seq);
                insert.setInt(2, 0);
                insert.setString(3, Writers.NOTE);
                insert.addBatch();
              }
              insert.executeBatch();
              c.commit();
              long committed = System.nanoTime();
              long deadline = committed + TimeUnit.SECONDS.toNanos(10);
              while (recorder.count() < seq) {
                if (System.nanoTime() - deadline > 0) {
                  throw new IllegalStateException(impl + ": rows " + from + ".." + seq + " not called back in 10 s");
                }
                LockSupport.parkNanos(20_000); // not a spin: the machine may have 2 cores
              }
              if (b >= 0) {
                first[b] = recorder.arrivedNanos(from) - committed;
                mid[b] = recorder.arrivedNanos(from + rows / 2) - committed;
                last[b] = recorder.arrivedNanos(seq) - committed;
              }
            }
          }
          System.out.printf(
              Locale.ROOT,
              "round %d %-18s first %s  middle %s  last %s%n",
              round,
              impl,
              stats(first),
              stats(mid),
              stats(last));
        }
      }
    }
  }

  private static String stats(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return String.format(
        Locale.ROOT, "p50 %5.2f p90 %5.2f ms", s[s.length / 2] / 1e6, s[(int) (s.length * 0.9)] / 1e6);
  }
}
