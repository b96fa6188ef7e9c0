package io.pgpubsub.benchmarks;

import io.pgpubsub.PostInsertListener;

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

  @PostInsertListener
  public void onInsert(BenchEvent event) {
    recorder.record(event.seq);
  }
}
