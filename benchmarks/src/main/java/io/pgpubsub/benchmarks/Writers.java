package io.pgpubsub.benchmarks;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The load generator: {@code threads} writers, each on its own connection, insert entity rows with
 * {@code rowsPerTx} rows per transaction, either as fast as they can or at a fixed offered rate (rows/s, over
 * all writers, on a fixed schedule: a writer that falls behind catches up without pausing, so the offered load
 * does not silently drop). One-row transactions run in autocommit (one round trip, the cheapest a writer can
 * do); larger ones are one JDBC batch and a commit. Sequence numbers 1..n are unique across writers; the
 * {@link System#nanoTime()} after each commit is kept per sequence number when asked.
 */
final class Writers {

  /** Every row's note: 64 characters, so that a payload is about 250 bytes of JSON. */
  static final String NOTE = "x".repeat(64);

  static final String NOTE_SQL = "repeat('x', 64)";

  static final String INSERT = "INSERT INTO public.bench_event (seq, writer, note) VALUES (?, ?, ?)";

  /** What the writers did: rows and transactions committed between the first start and the last commit. */
  record Result(long rows, long transactions, long startNanos, long endNanos) {
    double rowsPerSecond() {
      return rows / ((endNanos - startNanos) / 1e9);
    }
  }

  private final String jdbcUrl;
  private final int threads;
  private final int rowsPerTx;
  private final double rowsPerSecond;
  private final AtomicLong nextSeq = new AtomicLong();
  private final AtomicLong committedRows = new AtomicLong();
  private final AtomicLong transactions = new AtomicLong();
  private volatile boolean stop;

  /**
   * @param rowsPerSecond offered load over all writers, 0 for full speed
   */
  Writers(String jdbcUrl, int threads, int rowsPerTx, double rowsPerSecond) {
    this.jdbcUrl = jdbcUrl;
    this.threads = threads;
    this.rowsPerTx = rowsPerTx;
    this.rowsPerSecond = rowsPerSecond;
  }

  /** Rows committed so far (readable while running). */
  long committed() {
    return committedRows.get();
  }

  /** Asks the writers to stop after their current transaction. */
  void stop() {
    stop = true;
  }

  /**
   * Writes until {@code maxRows} rows are committed or {@code durationNanos} elapsed (or {@link #stop()}).
   *
   * @param commitNanos per sequence number, the nanoTime right after its commit; may be null
   */
  Result run(long maxRows, long durationNanos, long[] commitNanos) throws Exception {
    List<Thread> workers = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long start = System.nanoTime();
    long deadline = start + durationNanos;
    long interval = rowsPerSecond > 0 ? (long) (1e9 * threads * rowsPerTx / rowsPerSecond) : 0;
    for (int w = 0; w < threads; w++) {
      int writer = w;
      Thread t =
          new Thread(
              () -> {
                try {
                  write(writer, start + interval * writer / threads, interval, deadline, maxRows, commitNanos);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                  stop = true;
                }
              },
              "bench-writer-" + w);
      workers.add(t);
    }
    workers.forEach(Thread::start);
    for (Thread t : workers) {
      t.join();
    }
    long end = System.nanoTime();
    if (failure.get() != null) {
      throw new IllegalStateException("a writer failed", failure.get());
    }
    return new Result(committedRows.get(), transactions.get(), start, end);
  }

  private void write(int writer, long first, long interval, long deadline, long maxRows, long[] commitNanos)
      throws Exception {
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        PreparedStatement insert = c.prepareStatement(INSERT)) {
      c.setAutoCommit(rowsPerTx == 1);
      long next = first;
      while (!stop && System.nanoTime() - deadline < 0) {
        if (interval > 0) {
          long wait = next - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
            if (System.nanoTime() - deadline >= 0) {
              break;
            }
          }
          next += interval;
        }
        long from = nextSeq.getAndAdd(rowsPerTx) + 1;
        long to = from + rowsPerTx - 1;
        if (to > maxRows) {
          break;
        }
        if (rowsPerTx == 1) {
          insert.setLong(1, from);
          insert.setInt(2, writer);
          insert.setString(3, NOTE);
          insert.executeUpdate();
        } else {
          for (long seq = from; seq <= to; seq++) {
            insert.setLong(1, seq);
            insert.setInt(2, writer);
            insert.setString(3, NOTE);
            insert.addBatch();
          }
          insert.executeBatch();
          c.commit();
        }
        long now = System.nanoTime();
        if (commitNanos != null) {
          for (long seq = from; seq <= to; seq++) {
            commitNanos[(int) seq] = now;
          }
        }
        transactions.incrementAndGet();
        committedRows.addAndGet(rowsPerTx);
      }
    }
  }
}
