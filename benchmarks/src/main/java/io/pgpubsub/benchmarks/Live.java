package io.pgpubsub.benchmarks;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Live workloads: one {@link LiveChild} JVM per run, on emptied tables. */
final class Live {

  /** What one live run measured; latencies in ms, rates in rows/s. */
  record Result(
      Consumer.Impl impl,
      int rowsPerTx,
      double offeredRate,
      double writerRate,
      double e2eRate,
      long backlogEnd,
      long maxBacklog,
      double tailMs,
      double p50,
      double p90,
      double p99,
      double max,
      long samples) {}

  private final BenchDatabase db;
  private final int writers;
  private final double seconds;
  private final double warmup;
  private final int workers;
  private final int batchSize;
  private final Path jfrDir;

  Live(BenchDatabase db, int writers, double seconds, double warmup, int workers, int batchSize, Path jfrDir) {
    this.db = db;
    this.writers = writers;
    this.seconds = seconds;
    this.warmup = warmup;
    this.workers = workers;
    this.batchSize = batchSize;
    this.jfrDir = jfrDir;
  }

  /** @param rate offered rows/s over all writers, 0 for full speed */
  Result run(Consumer.Impl impl, int rowsPerTx, double rate) throws Exception {
    return run(impl, rowsPerTx, rate, false);
  }

  /**
   * @param asLeft {@code false}: on emptied and vacuumed tables (every run starts alike); {@code true}: on the
   *     notification table as the previous run left it (emptied, but with its dead rows and index pages, as an
   *     application meets it right after a large backlog drained), only the entity table emptied
   */
  Result run(Consumer.Impl impl, int rowsPerTx, double rate, boolean asLeft) throws Exception {
    if (asLeft) {
      long left = db.count("SELECT count(*) FROM public.pgpubsub_notification");
      if (left != 0) {
        throw new IllegalStateException("a live run on the table as left needs it drained; " + left + " rows are left");
      }
      db.execute("TRUNCATE public.bench_event");
    } else {
      db.reset();
      db.execute("VACUUM ANALYZE public.pgpubsub_notification", "VACUUM ANALYZE public.bench_event");
    }
    String name = "live-" + impl + "-" + rowsPerTx + "rpt-" + (rate > 0 ? (int) rate + "ps" : "full");
    try (Child child =
        Child.start(
            name,
            List.of("-Xmx1g"),
            jfrDir == null ? null : jfrDir.resolve(name + ".jfr"),
            LiveChild.class,
            List.of(
                "--impl=" + impl,
                "--jdbc-url=" + db.jdbcUrl(),
                "--writers=" + writers,
                "--rows-per-tx=" + rowsPerTx,
                "--rate=" + rate,
                "--seconds=" + seconds,
                "--warmup=" + warmup,
                "--workers=" + workers,
                "--batch=" + batchSize))) {
      child.awaitReady(120, TimeUnit.SECONDS);
      child.send("GO");
      Map<String, String> r = child.awaitResult((long) (seconds + warmup) + 300, TimeUnit.SECONDS);
      long rows = Long.parseLong(r.get("rows"));
      long called = Long.parseLong(r.get("called"));
      long left = db.count("SELECT count(*) FROM public.pgpubsub_notification");
      if (called != rows || Long.parseLong(r.get("duplicates")) != 0 || Long.parseLong(r.get("missing")) != 0
          || left != 0) {
        throw new IllegalStateException(
            "live " + name + " is wrong: " + called + " callbacks for " + rows + " rows, " + r.get("duplicates")
                + " duplicates, " + r.get("missing") + " missing, " + left + " notifications left");
      }
      if (Boolean.parseBoolean(r.get("capped"))) {
        System.out.println("  note: " + name + " reached the row capacity; the window was shorter than asked");
      }
      return new Result(
          impl,
          rowsPerTx,
          rate,
          d(r, "writerRate"),
          d(r, "e2eRate"),
          Long.parseLong(r.get("backlogEnd")),
          Long.parseLong(r.get("maxBacklog")),
          d(r, "tailMs"),
          d(r, "p50"),
          d(r, "p90"),
          d(r, "p99"),
          d(r, "max"),
          Long.parseLong(r.get("samples")));
    }
  }

  private static double d(Map<String, String> r, String key) {
    return Double.parseDouble(r.get(key));
  }
}
