package io.pgpubsub.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Logs the progress of draining the backlog found at start (done / remaining / rate), every few seconds,
 * when it is large enough to take a while.
 */
final class RecoveryProgress {

  static final long LARGE_BACKLOG = 10_000;
  private static final long EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final String name;
  private final LongAdder done = new LongAdder();
  private final AtomicLong nextLog = new AtomicLong();
  private volatile long total;
  private volatile long startNanos;
  private volatile boolean active;

  RecoveryProgress(String name) {
    this.name = name;
  }

  void begin(long backlog) {
    total = backlog;
    startNanos = System.nanoTime();
    nextLog.set(startNanos + EVERY_NANOS);
    active = backlog >= LARGE_BACKLOG;
    if (backlog > 0) {
      Engine.log.info(
          "[{}] recovering {} stored notification(s){}",
          name,
          backlog,
          active ? " (progress every 5 s)" : "");
    }
  }

  /** Called after each committed batch. */
  void processed(int n) {
    if (!active) {
      return;
    }
    done.add(n);
    long now = System.nanoTime();
    long next = nextLog.get();
    long d = done.sum();
    if (d >= total) {
      active = false;
      double secs = Math.max(1e-3, (now - startNanos) / 1e9);
      Engine.log.info(
          "[{}] recovery done: {} notification(s) in {} s ({}/s)",
          name,
          d,
          String.format("%.1f", secs),
          Math.round(d / secs));
    } else if (now - next >= 0 && nextLog.compareAndSet(next, now + EVERY_NANOS)) {
      double secs = Math.max(1e-3, (now - startNanos) / 1e9);
      Engine.log.info(
          "[{}] recovery: {} done, {} remaining, {}/s", name, d, total - d, Math.round(d / secs));
    }
  }
}
