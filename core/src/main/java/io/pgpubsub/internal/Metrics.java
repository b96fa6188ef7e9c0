package io.pgpubsub.internal;

import java.util.Collection;

/**
 * What the runtime reports. Core works without Micrometer: {@link #create} returns a no-op unless Micrometer
 * is on the class path, and only then is {@link MicrometerMetrics} (the one class that imports Micrometer)
 * loaded.
 */
public interface Metrics extends AutoCloseable {

  /** Per-channel handles, resolved once so the hot path does no map lookups or tag building. */
  interface ChannelMetrics {
    /** One notification processed successfully, {@code lagMillis} after its writer stored it. */
    void processed(long lagMillis);

    /** One attempt failed (whether it will be retried or is dead). */
    void failed();

    /** A failed notification was scheduled for another attempt. */
    void retried();

    /** A notification became dead. */
    void dead();

    /** Ready (not dead) notifications waiting in the table, as last counted. */
    void backlog(long count);

    /**
     * An ordered channel's keys, as last counted: with pending notifications, held back by a retry of their head,
     * with a dead notification (held back under {@code DeadKeyPolicy.BLOCK}).
     */
    default void keys(long waiting, long retrying, long dead) {}
  }

  ChannelMetrics channel(String channel);

  /** Whether anybody reads the backlog gauge (the runtime only counts the backlog then). */
  boolean enabled();

  @Override
  void close();

  ChannelMetrics NO_OP_CHANNEL =
      new ChannelMetrics() {
        @Override
        public void processed(long lagMillis) {}

        @Override
        public void failed() {}

        @Override
        public void retried() {}

        @Override
        public void dead() {}

        @Override
        public void backlog(long count) {}
      };

  Metrics NO_OP =
      new Metrics() {
        @Override
        public ChannelMetrics channel(String channel) {
          return NO_OP_CHANNEL;
        }

        @Override
        public boolean enabled() {
          return false;
        }

        @Override
        public void close() {}
      };

  /**
   * @param registry a {@code io.micrometer.core.instrument.MeterRegistry}, or null for Micrometer's global
   *     registry when Micrometer is on the class path (and no metrics otherwise)
   * @param ordered the ordered channels among {@code channels} (they also get the {@code pgpubsub.keys.*} gauges)
   */
  static Metrics create(Object registry, String listenerName, Collection<String> channels, Collection<String> ordered) {
    if (registry == null && !micrometerPresent()) {
      return NO_OP;
    }
    return MicrometerMetrics.create(registry, listenerName, channels, ordered);
  }

  static boolean micrometerPresent() {
    try {
      Class.forName("io.micrometer.core.instrument.MeterRegistry", false, Metrics.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }
}
