package io.pgpubsub.benchmarks;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What callbacks record: how many arrived, the sum of their sequence numbers (an exactly-once check across
 * processes), duplicates, and, per sequence number, the {@link System#nanoTime()} of arrival (for latency).
 * Safe for concurrent callbacks: each sequence number has its own slot; the counter is incremented after the
 * slot is written, so a reader that saw the count sees the slots.
 */
public final class Recorder {

  private final long[] arrivedNanos;
  private final AtomicLong count = new AtomicLong();
  private final AtomicLong sum = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong outOfRange = new AtomicLong();
  private volatile long lastNanos;

  /** @param capacity the largest sequence number that will be recorded (slots 1..capacity) */
  public Recorder(int capacity) {
    this.arrivedNanos = new long[capacity + 1];
  }

  public void record(long seq) {
    long now = System.nanoTime();
    if (seq > 0 && seq < arrivedNanos.length) {
      if (arrivedNanos[(int) seq] != 0) {
        duplicates.incrementAndGet();
      }
      arrivedNanos[(int) seq] = now;
    } else {
      outOfRange.incrementAndGet();
    }
    sum.addAndGet(seq);
    lastNanos = now;
    count.incrementAndGet();
  }

  public long count() {
    return count.get();
  }

  public long sum() {
    return sum.get();
  }

  public long duplicates() {
    return duplicates.get();
  }

  public long outOfRange() {
    return outOfRange.get();
  }

  /** nanoTime of the latest callback, 0 before the first. */
  public long lastNanos() {
    return lastNanos;
  }

  /** nanoTime at which {@code seq} arrived, 0 when it did not (yet). */
  public long arrivedNanos(long seq) {
    return arrivedNanos[(int) seq];
  }
}
