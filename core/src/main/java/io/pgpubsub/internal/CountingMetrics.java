package io.pgpubsub.internal;

import java.util.concurrent.atomic.LongAdder;

/** Counts what one listener did, for {@link Drainer}, and passes everything on to the real metrics. */
final class CountingMetrics implements Metrics {

  private final Metrics delegate;
  private final LongAdder processed = new LongAdder();
  private final LongAdder failed = new LongAdder();
  private final LongAdder dead = new LongAdder();

  CountingMetrics(Metrics delegate) {
    this.delegate = delegate;
  }

  private long[] reported = new long[3];

  /** What was counted since the previous call (or since start), for {@link Drainer}. */
  synchronized io.pgpubsub.DrainResult sinceLastDrain() {
    long[] now = {processed.sum(), failed.sum(), dead.sum()};
    io.pgpubsub.DrainResult r =
        new io.pgpubsub.DrainResult(now[0] - reported[0], now[1] - reported[1], now[2] - reported[2]);
    reported = now;
    return r;
  }

  @Override
  public ChannelMetrics channel(String channel) {
    ChannelMetrics d = delegate.channel(channel);
    return new ChannelMetrics() {
      @Override
      public void processed(long lagMillis) {
        processed.increment();
        d.processed(lagMillis);
      }

      @Override
      public void failed() {
        failed.increment();
        d.failed();
      }

      @Override
      public void retried() {
        d.retried();
      }

      @Override
      public void dead() {
        dead.increment();
        d.dead();
      }

      @Override
      public void backlog(long count) {
        d.backlog(count);
      }

      @Override
      public void keys(long waiting, long retrying, long dead) {
        d.keys(waiting, retrying, dead);
      }
    };
  }

  @Override
  public boolean enabled() {
    return delegate.enabled();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
