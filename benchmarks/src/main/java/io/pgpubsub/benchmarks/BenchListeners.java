package io.pgpubsub.benchmarks;

import io.pgpubsub.PostInsertListener;
import java.util.concurrent.locks.LockSupport;

/**
 * The trivial callback every workload measures: it records the event's sequence number (and when it arrived).
 * The baseline calls the same method, so both sides do the same work after decoding.
 */
public class BenchListeners {

  private final Recorder recorder;

  /** The runtime's default factory would use this one; the benchmarks always pass their own instance. */
  public BenchListeners() {
    this(new Recorder(0));
  }

  public BenchListeners(Recorder recorder) {
    this.recorder = recorder;
  }

  /**
   * How long each callback waits, in nanoseconds, as one that calls another service would (0: no wait). Set
   * once per JVM by the I/O-bound scale-out runs, before any callback runs.
   */
  static volatile long waitNanos;

  @PostInsertListener
  public void onInsert(BenchEvent event) {
    long wait = waitNanos;
    if (wait > 0) {
      LockSupport.parkNanos(wait);
    }
    recorder.record(event.seq);
  }
}
