package io.pgpubsub.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential back-off with jitter: each delay is uniform in [d/2, d], d doubling from initial to max. */
public final class Backoff {

  private final long initialMillis;
  private final long maxMillis;
  private int failures;

  public Backoff(Duration initial, Duration max) {
    this.initialMillis = Math.max(1, initial.toMillis());
    this.maxMillis = Math.max(initialMillis, max.toMillis());
  }

  /** The delay before the next try; every call counts one more failure. */
  public long nextDelayMillis() {
    long d = delayMillis(initialMillis, maxMillis, failures);
    if (failures < 62) {
      failures++;
    }
    return d;
  }

  public int failures() {
    return failures;
  }

  public void reset() {
    failures = 0;
  }

  /** Jittered delay after {@code previousFailures} failures (0 for the first retry). */
  public static long delayMillis(long initialMillis, long maxMillis, int previousFailures) {
    long d = initialMillis;
    for (int i = 0; i < previousFailures && d < maxMillis; i++) {
      d = d * 2;
    }
    d = Math.min(d, maxMillis);
    long half = d / 2;
    return half + ThreadLocalRandom.current().nextLong(d - half + 1);
  }
}
