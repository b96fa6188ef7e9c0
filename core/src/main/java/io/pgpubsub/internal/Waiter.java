package io.pgpubsub.internal;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.LockSupport;

/**
 * Wake/wait primitive between the LISTEN thread and the workers (db-scheduler's Waiter, generation-based).
 *
 * <p>A worker reads {@link #generation()} <em>before</em> it claims, and afterwards waits with {@link
 * #await(long, long)} on that value: a wake-up that arrived while it was claiming or processing makes the
 * wait return at once, so a NOTIFY that lands during a batch is never lost.
 *
 * <p>{@link #wake()} wakes the worker that went to sleep last (a stack, not a queue). At a low rate one worker
 * and its pooled connection do all the work and stay warm; waking them in turn, as {@code Object.notify} does,
 * left each worker's server backend idle for twice as long between transactions, and its claim was measured up
 * to a millisecond slower on a 2-core machine (BatchLatencyProbe, 100-row transactions 200 ms apart). Under
 * load the others are woken by a full batch ({@link Worker}) and by every further NOTIFY.
 */
public final class Waiter {

  private final Object lock = new Object();
  private long generation;
  /** Threads in {@link #await}, the last to arrive first. Guarded by {@link #lock}. */
  private final Deque<Thread> sleeping = new ArrayDeque<>();

  public long generation() {
    synchronized (lock) {
      return generation;
    }
  }

  /**
   * Wakes one waiting worker (the one that went to sleep last), and makes the next wait of every busy worker
   * return at once (so work that arrived during a batch is looked for right after it). Waking one rather than
   * all keeps a burst of NOTIFYs from turning into a herd of empty claims; a worker that finds a full batch
   * wakes the next.
   */
  public void wake() {
    Thread t;
    synchronized (lock) {
      generation++;
      t = sleeping.pollFirst();
    }
    if (t != null) {
      LockSupport.unpark(t);
    }
  }

  /** How many threads wait right now (tests). */
  int sleeping() {
    synchronized (lock) {
      return sleeping.size();
    }
  }

  /** Wakes every worker: after a (re)connect, for a full re-scan, and on stop. */
  public void wakeAll() {
    Thread[] all;
    synchronized (lock) {
      generation++;
      all = sleeping.toArray(new Thread[0]);
      sleeping.clear();
    }
    for (Thread t : all) {
      LockSupport.unpark(t);
    }
  }

  /**
   * Waits until the generation differs from {@code seen} or {@code timeoutNanos} passed.
   *
   * @return true when woken, false on timeout
   */
  public boolean await(long seen, long timeoutNanos) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutNanos;
    Thread me = Thread.currentThread();
    try {
      while (true) {
        synchronized (lock) {
          if (generation != seen) {
            return true;
          }
          if (deadline - System.nanoTime() <= 0) {
            return false;
          }
          if (!sleeping.contains(me)) {
            sleeping.addFirst(me); // again after a spurious return, or after a wake() meant for another round
          }
        }
        LockSupport.parkNanos(this, deadline - System.nanoTime());
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    } finally {
      synchronized (lock) {
        sleeping.remove(me);
      }
    }
  }
}
