package io.pgpubsub.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drain and scale-out: a backlog of {@code n} stored notifications, processed by {@code processes} listener
 * processes ({@link DrainChild}, each a JVM with {@code -Xmx256m}) started together. The time runs from the
 * first GO to the last callback of any process; every notification must be processed exactly once (counts,
 * sequence-number sums and duplicates are checked) and the table must be empty afterwards.
 */
final class Drain {

  /** What one drain measured. */
  record Result(
      Consumer.Impl impl,
      int processes,
      int notifications,
      double seconds,
      long peakUsedBytes,
      long peakAfterGcBytes,
      long maxHeapBytes,
      double cpuBusy) {
    double perSecond() {
      return notifications / seconds;
    }
  }

  static final String HEAP = "-Xmx256m";

  private final BenchDatabase db;
  private final int workers;
  private final int batchSize;
  private final Path jfrDir;

  Drain(BenchDatabase db, int workers, int batchSize, Path jfrDir) {
    this.db = db;
    this.workers = workers;
    this.batchSize = batchSize;
    this.jfrDir = jfrDir;
  }

  Result run(Consumer.Impl impl, int processes, int n) throws Exception {
    return run(impl, processes, n, 0);
  }

  /** @param callbackWaitMicros how long each callback waits (an I/O-bound callback), 0 for none */
  Result run(Consumer.Impl impl, int processes, int n, int callbackWaitMicros) throws Exception {
    db.backlog(n);
    List<Child> children = new ArrayList<>();
    try {
      for (int i = 0; i < processes; i++) {
        String name =
            "drain-" + impl + "-" + processes + "p-" + (i + 1) + (callbackWaitMicros > 0 ? "-io" : "");
        children.add(
            Child.start(
                name,
                List.of(HEAP),
                jfrDir == null ? null : jfrDir.resolve(name + ".jfr"),
                DrainChild.class,
                List.of(
                    "--impl=" + impl,
                    "--jdbc-url=" + db.jdbcUrl(),
                    "--capacity=" + n,
                    "--workers=" + workers,
                    "--batch=" + batchSize,
                    "--callback-wait-micros=" + callbackWaitMicros)));
      }
      for (Child c : children) {
        c.awaitReady(120, TimeUnit.SECONDS);
      }
      long[] cpuAtGo = cpuTicks();
      children.forEach(c -> c.send("GO"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60 + n / 500);
      while (true) {
        long done = 0;
        for (Child c : children) {
          done += c.progress();
          if (!c.alive()) {
            throw new IllegalStateException("listener process " + c.name() + " died during the drain");
          }
        }
        if (done >= n) {
          break;
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(
              "drain " + impl + " with " + processes + " process(es): only " + done + " of " + n + " processed in time");
        }
        Thread.sleep(20);
      }
      long[] cpuAtEnd = cpuTicks();
      children.forEach(c -> c.send("STOP"));
      long count = 0;
      long sum = 0;
      long duplicates = 0;
      long first = Long.MAX_VALUE;
      long last = 0;
      long peakUsed = 0;
      long peakAfterGc = 0;
      long maxHeap = 0;
      for (Child c : children) {
        Map<String, String> r = c.awaitResult(120, TimeUnit.SECONDS);
        count += Long.parseLong(r.get("count"));
        sum += Long.parseLong(r.get("sum"));
        duplicates += Long.parseLong(r.get("duplicates")) + Long.parseLong(r.get("outOfRange"));
        first = Math.min(first, Long.parseLong(r.get("goMicros")));
        last = Math.max(last, Long.parseLong(r.get("lastMicros")));
        peakUsed = Math.max(peakUsed, Long.parseLong(r.get("peakUsed")));
        peakAfterGc = Math.max(peakAfterGc, Long.parseLong(r.get("peakAfterGc")));
        maxHeap = Math.max(maxHeap, Long.parseLong(r.get("maxHeap")));
      }
      long expectedSum = (long) n * (n + 1) / 2;
      long left = db.count("SELECT count(*) FROM public.pgpubsub_notification");
      if (count != n || sum != expectedSum || duplicates != 0 || left != 0) {
        throw new IllegalStateException(
            String.format(
                "drain %s with %d process(es) is wrong: %d callbacks for %d notifications, seq sum %d (expected %d),"
                    + " %d duplicates, %d notifications left in the table",
                impl, processes, count, n, sum, expectedSum, duplicates, left));
      }
      return new Result(
          impl, processes, n, (last - first) / 1e6, peakUsed, peakAfterGc, maxHeap, busy(cpuAtGo, cpuAtEnd));
    } finally {
      children.forEach(Child::close);
    }
  }

  /**
   * The machine's CPU time so far from {@code /proc/stat}: {busy, total} in clock ticks (idle and iowait count
   * as not busy); null where there is no {@code /proc/stat}.
   */
  static long[] cpuTicks() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
        if (line.startsWith("cpu ")) {
          String[] f = line.trim().split("\\s+");
          long total = 0;
          for (int i = 1; i < f.length; i++) {
            total += Long.parseLong(f[i]);
          }
          long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
          return new long[] {total - idle, total};
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no figure
    }
    return null;
  }

  /** The share of the machine's CPU time that was busy between two {@link #cpuTicks()} readings, or NaN. */
  static double busy(long[] from, long[] to) {
    if (from == null || to == null || to[1] <= from[1]) {
      return Double.NaN;
    }
    return (double) (to[0] - from[0]) / (to[1] - from[1]);
  }
}
