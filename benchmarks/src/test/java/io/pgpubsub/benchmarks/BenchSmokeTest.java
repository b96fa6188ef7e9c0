package io.pgpubsub.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.benchmarks.Report.Row;
import io.pgpubsub.benchmarks.Report.Verdict;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every workload at a tiny size, against the test database: keeps the benchmark code honest (each run checks
 * that every row was called back exactly once and that the notification table ends empty). Times nothing.
 */
@PostgresTest
@Timeout(180)
class BenchSmokeTest {

  private static BenchDatabase db;

  @BeforeAll
  static void schema(TestDatabase test) throws Exception {
    db = new BenchDatabase(null, test.jdbcUrlWithCredentials());
    db.install();
  }

  @Test
  void writeOverheadWritesEveryRowWithAndWithoutTheTriggerThroughJdbcAndHibernate() throws Exception {
    WriteOverhead w = new WriteOverhead(db);
    String url = db.jdbcUrl();
    // each run checks that every row was written and that each trigger stored one notification per row
    try (WriteOverhead.Client jdbc = WriteOverhead.jdbc(WriteOverhead.withSynchronousCommit(url, "on"), 2, 1);
        WriteOverhead.Client jdbcBulk = WriteOverhead.jdbc(WriteOverhead.withRewrite(url), 1, 50);
        WriteOverhead.Client hibernate = HibernateWriters.onePerTransaction(url, 2);
        WriteOverhead.Client hibernateBulk = HibernateWriters.oneTransaction(WriteOverhead.withRewrite(url), 50)) {
      for (WriteOverhead.Client client : new WriteOverhead.Client[] {jdbc, jdbcBulk, hibernate, hibernateBulk}) {
        WriteOverhead.Result r = w.measure(client, 100, 10, 1);
        for (BenchDatabase.Trigger t : BenchDatabase.Trigger.values()) {
          assertThat(r.rate(t)).as(client.name() + ", trigger " + t).isPositive();
        }
      }
    }
    assertThat(db.count("SELECT count(*) FROM public.bench_event WHERE id >= 1000000000000 AND note = repeat('x', 64)"))
        .as("the last run's rows were persisted by Hibernate with ids from the sequence")
        .isEqualTo(100);
  }

  @Test
  void drainProcessesTheBacklogExactlyOnceWithOneOrSeveralProcesses() throws Exception {
    Drain drain = new Drain(db, 2, 50, null);
    Drain.Result library = drain.run(Consumer.Impl.LIBRARY_HIBERNATE, 1, 300);
    Drain.Result baseline = drain.run(Consumer.Impl.BASELINE, 2, 300);
    assertThat(library.notifications()).isEqualTo(300);
    assertThat(library.seconds()).isPositive();
    assertThat(library.maxHeapBytes()).isLessThanOrEqualTo(256L * 1024 * 1024);
    assertThat(baseline.processes()).isEqualTo(2);
    assertThat(db.count("SELECT count(*) FROM public.pgpubsub_notification")).isZero();
    // callbacks that wait (the I/O-bound scale-out): 200 callbacks of at least 1 ms over 2 processes of 2
    // workers cannot finish in under 50 ms; run() itself checks that each ran exactly once
    Drain.Result waiting = drain.run(Consumer.Impl.LIBRARY_HIBERNATE, 2, 200, 1_000);
    assertThat(waiting.notifications()).isEqualTo(200);
    assertThat(waiting.seconds()).isGreaterThanOrEqualTo(0.05);
  }

  /** StreamProbe at a tiny size: each phase checks its counts (events read, received, stored) and times nothing. */
  @Test
  void streamProbeReadsReceivesAndStoresEveryEvent() throws Exception {
    StreamProbe.main(new String[] {
      "--jdbc-url=" + db.jdbcUrl(), "--events=2000", "--rounds=1", "--rate=200", "--latency-events=100",
      "--writers=2", "--writes=100"
    });
    assertThat(db.count("SELECT count(*) FROM public.pgpubsub_notification WHERE channel = 'stream_probe_lockable'"))
        .isZero();
  }

  @Test
  void liveRunsCallBackEveryCommittedRow() throws Exception {
    Live live = new Live(db, 2, 0.6, 0.2, 2, 50, null);
    Live.Result fixed = live.run(Consumer.Impl.LIBRARY_CORE, 1, 100);
    Live.Result full = live.run(Consumer.Impl.BASELINE, 10, 0);
    assertThat(fixed.samples()).isPositive();
    assertThat(fixed.p50()).isLessThanOrEqualTo(fixed.max());
    assertThat(full.writerRate()).isPositive();
  }

  /**
   * The sustained-load search on the table a drain left (not vacuumed): every probe is checked by Live.run
   * (each row called back once, the table empty at the end), and a load far below what one listener does is
   * sustained. The verdict rule and the median are plain arithmetic, pinned here too.
   */
  @Test
  void theSustainedSearchProbesTheTableADrainLeft() throws Exception {
    new Drain(db, 2, 50, null).run(Consumer.Impl.BASELINE, 1, 500);
    Sustained search = new Sustained(new Live(db, 2, 0.6, 0.2, 2, 50, null), 1);
    Sustained.Outcome o = search.search(Consumer.Impl.LIBRARY_CORE, 10, 100, true);
    assertThat(o.steps()).hasSize(1);
    assertThat(o.steps().get(0).result().writerRate()).isPositive();
    Live.Result r = o.steps().get(0).result();
    assertThat(o.rate()).isEqualTo(Sustained.sustained(100, r) ? 100.0 : 0.0);
    assertThat(Sustained.median(java.util.List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
    assertThat(Sustained.median(java.util.List.of(4.0, 1.0))).isEqualTo(2.5);
    Live.Result kept = new Live.Result(Consumer.Impl.BASELINE, 100, 1000, 990, 985, 0, 300, 0, 1, 1, 1, 1, 10);
    Live.Result fellBehind = new Live.Result(Consumer.Impl.BASELINE, 100, 1000, 990, 900, 900, 900, 0, 1, 1, 1, 1, 10);
    Live.Result writersShort = new Live.Result(Consumer.Impl.BASELINE, 100, 1000, 800, 800, 0, 0, 0, 1, 1, 1, 1, 10);
    assertThat(Sustained.sustained(1000, kept)).isTrue();
    assertThat(Sustained.sustained(1000, fellBehind)).isFalse();
    assertThat(Sustained.sustained(1000, writersShort)).as("the machine, not the listener, was the limit").isFalse();
  }

  @Test
  void reportWritesCsvMarkdownAndSvg(@TempDir Path dir) throws Exception {
    Report report = new Report();
    report.add(new Row("drain 10", "notifications/s", "/s", 900, 1000, ">= 0.70x", Verdict.PASS));
    report.add(new Row("live", "latency p50", "ms", 2.5, 2.0, "<= 5 ms", Verdict.PASS));
    report.write(dir, "title", "machine");
    assertThat(Files.readString(dir.resolve("results.csv")))
        .contains("workload,metric,unit,library,baseline,ratio,target,result")
        .contains("drain 10,notifications/s,/s,900.0000,1000.0000,0.9000,>= 0.70x,pass");
    assertThat(Files.readString(dir.resolve("results.svg"))).startsWith("<svg").contains("0.90");
    assertThat(Files.readString(dir.resolve("results.md"))).contains("| drain 10: notifications/s | 900/s | 1,000/s | 0.90 |");
    assertThat(report.text()).contains("latency p50");
  }
}
