package io.pgpubsub.internal;

import java.util.concurrent.TimeUnit;

/**
 * Wake/wait primitive between the LISTEN thread and the workers (db-scheduler's Waiter, generation-based).
 *
 * <p>A worker reads {@link #generation()} <em>before</em> it claims, and afterwards waits with {@link
 * #await(long, long)} on that value: a wake-up that arrived while it was claiming or processing makes the
 * wait return at once, so a NOTIFY that lands during a batch is never lost.
 */
public final class Waiter {

  private final Object lock = new Object();
  private long generation;

  public long generation() {
    synchronized (lock) {
      return generation;
    }
  }

  /**
   * Wakes one waiting worker, and makes the next wait of every busy worker return at once (so work that
   * arrived during a batch is looked for right after it). Waking one rather than all keeps a burst of
   * NOTIFYs from turning into a herd of empty claims; a worker that finds a full batch wakes the next.
   */
  public void wake() {
    synchronized (lock) {
      generation++;
      lock.notify();
    }
  }

  /** Wakes every worker: after a (re)connect, for a full re-scan, and on stop. */
  public void wakeAll() {
    synchronized (lock) {
      generation++;
      lock.notifyAll();
    }
  }

  /**
   * Waits until the generation differs from {@code seen} or {@code timeoutNanos} passed.
   *
   * @return true when woken, false on timeout
   */
  public boolean await(long seen, long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    synchronized (lock) {
      while (generation == seen) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
      return true;
    }
  }
}
