package io.pgpubsub.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One live run, in a JVM of its own (started by {@link Live}): the consumer and the writers share this JVM,
 * so that commit-to-callback latency compares two {@link System#nanoTime()} readings of one clock (the
 * writer's, right after its commit returned, and the callback's). After a warm-up, a measured window: the
 * writers' commit rate, the end-to-end callback rate, the backlog (committed minus called back, sampled every
 * 10 ms), and the latency of every row committed in the window.
 */
public final class LiveChild {

  private LiveChild() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Consumer.Impl impl = Consumer.Impl.of(args.require("impl"));
    String url = args.require("jdbc-url");
    int writers = args.getInt("writers", 8);
    int rowsPerTx = args.getInt("rows-per-tx", 1);
    double rate = args.getDouble("rate", 0);
    double seconds = args.getDouble("seconds", 10);
    double warmup = args.getDouble("warmup", 2);
    int capacity =
        rate > 0
            ? (int) (rate * (seconds + warmup) * 1.2) + writers * rowsPerTx + 1000
            : args.getInt("capacity", 3_000_000);
    Recorder recorder = new Recorder(capacity);
    long[] committedAt = new long[capacity + 1];
    Consumer consumer = impl.create(url, recorder, args.getInt("workers", 2), args.getInt("batch", 200));
    consumer.start();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    System.out.println("READY");
    System.out.flush();
    if (!"GO".equals(in.readLine())) {
      consumer.close();
      return;
    }
    Writers w = new Writers(url, writers, rowsPerTx, rate);
    long total = (long) ((seconds + warmup) * 1e9);
    CompletableFuture<Writers.Result> writing =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return w.run(capacity, total, committedAt);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    long t0 = System.nanoTime();
    long windowStart = t0 + (long) (warmup * 1e9);
    long windowEnd = t0 + total;
    LockSupport.parkNanos(windowStart - System.nanoTime());
    long c1 = w.committed();
    long d1 = recorder.count();
    long t1 = System.nanoTime();
    long maxBacklog = 0;
    while (System.nanoTime() - windowEnd < 0 && !writing.isDone()) {
      maxBacklog = Math.max(maxBacklog, w.committed() - recorder.count());
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
    long c2 = w.committed();
    long d2 = recorder.count();
    long t2 = System.nanoTime();
    Writers.Result written = writing.get(60, TimeUnit.SECONDS);
    long rows = written.rows();
    long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (recorder.count() < rows && System.nanoTime() - drainDeadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
    consumer.close();

    long[] latencies = new long[(int) rows];
    int n = 0;
    int early = 0;
    long missing = 0;
    long lastCommit = 0;
    for (int seq = 1; seq <= rows; seq++) {
      long committed = committedAt[seq];
      lastCommit = Math.max(lastCommit, committed);
      long arrived = recorder.arrivedNanos(seq);
      if (arrived == 0) {
        missing++;
        continue;
      }
      if (committed < t1 || committed > t2) {
        continue;
      }
      long latency = arrived - committed;
      if (latency < 0) {
        early++; // the callback ran before the writer's commit() returned: latency ~0
        latency = 0;
      }
      latencies[n++] = latency;
    }
    Arrays.sort(latencies, 0, n);
    long tail = Math.max(0, recorder.lastNanos() - lastCommit); // after the last commit, until all called back
    double window = (t2 - t1) / 1e9;
    System.out.println(
        "RESULT rows="
            + rows
            + " called="
            + recorder.count()
            + " missing="
            + missing
            + " duplicates="
            + recorder.duplicates()
            + " writerRate="
            + (c2 - c1) / window
            + " e2eRate="
            + (d2 - d1) / window
            + " backlogStart="
            + (c1 - d1)
            + " backlogEnd="
            + (c2 - d2)
            + " maxBacklog="
            + maxBacklog
            + " tailMs="
            + tail / 1e6
            + " samples="
            + n
            + " early="
            + early
            + " p50="
            + percentile(latencies, n, 0.50)
            + " p90="
            + percentile(latencies, n, 0.90)
            + " p99="
            + percentile(latencies, n, 0.99)
            + " max="
            + (n == 0 ? 0 : latencies[n - 1] / 1e6)
            + " capped="
            + (rows >= capacity - writers * rowsPerTx));
    System.out.flush();
  }

  /** The q-quantile of the first n sorted values, in milliseconds (nearest rank). */
  static double percentile(long[] sorted, int n, double q) {
    if (n == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(q * n);
    return sorted[Math.max(0, Math.min(n, rank) - 1)] / 1e6;
  }
}
