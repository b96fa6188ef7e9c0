package io.pgpubsub;

import io.pgpubsub.internal.Backoff;
import java.time.Duration;
import java.util.Objects;

/**
 * How often a failing notification is tried, and how long to wait in between: exponential back-off with
 * jitter (each delay is uniform in [d/2, d], d = initialDelay * 2^(failures-1), at most maxDelay). After
 * {@code maxAttempts} failed attempts the notification is dead: it keeps its payload and last error until an
 * operator retries or purges it ({@link DeadLetters}).
 */
public final class RetryPolicy {

  private final int maxAttempts;
  private final Duration initialDelay;
  private final Duration maxDelay;

  private RetryPolicy(int maxAttempts, Duration initialDelay, Duration maxDelay) {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    Objects.requireNonNull(initialDelay, "initialDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (initialDelay.isNegative() || maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException(
          "need 0 <= initialDelay <= maxDelay, got " + initialDelay + " and " + maxDelay);
    }
    this.maxAttempts = maxAttempts;
    this.initialDelay = initialDelay;
    this.maxDelay = maxDelay;
  }

  /**
   * @param maxAttempts attempts in total (1 = no retry)
   * @param initialDelay delay before the first retry
   * @param maxDelay upper bound of any delay
   */
  public static RetryPolicy exponential(int maxAttempts, Duration initialDelay, Duration maxDelay) {
    return new RetryPolicy(maxAttempts, initialDelay, maxDelay);
  }

  /** Attempts in total of {@link #defaults()}. */
  public static final int DEFAULT_MAX_ATTEMPTS = 5;
  /** Delay before the first retry of {@link #defaults()}. */
  public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofSeconds(1);
  /** Longest delay of {@link #defaults()}. */
  public static final Duration DEFAULT_MAX_DELAY = Duration.ofMinutes(5);

  /** The default: 5 attempts, 1 s before the first retry, doubling, at most 5 min. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(DEFAULT_MAX_ATTEMPTS, DEFAULT_INITIAL_DELAY, DEFAULT_MAX_DELAY);
  }

  /** One attempt; a failure makes the notification dead at once. */
  public static RetryPolicy noRetries() {
    return new RetryPolicy(1, Duration.ZERO, Duration.ZERO);
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public Duration initialDelay() {
    return initialDelay;
  }

  public Duration maxDelay() {
    return maxDelay;
  }

  /** Whether attempt number {@code attempt} (1-based) failing makes the notification dead. */
  public boolean exhaustedAfter(int attempt) {
    return attempt >= maxAttempts;
  }

  /** The jittered delay in milliseconds before the attempt that follows failed attempt {@code attempt}. */
  public long delayMillisAfter(int attempt) {
    if (initialDelay.isZero()) {
      return 0;
    }
    return Backoff.delayMillis(initialDelay.toMillis(), maxDelay.toMillis(), Math.max(0, attempt - 1));
  }

  @Override
  public String toString() {
    return "RetryPolicy.exponential(" + maxAttempts + ", " + initialDelay + ", " + maxDelay + ")";
  }
}
