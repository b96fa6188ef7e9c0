package io.pgpubsub.spring;

import io.pgpubsub.Listener;

/**
 * A bean that adjusts the listener's builder after the {@code pgpubsub.*} properties were applied and before
 * it is built (for options that are objects, such as a custom {@code RetryPolicy} or {@code objectMapper}).
 */
@FunctionalInterface
public interface PubSubListenerCustomizer {
  void customize(Listener.Builder builder);
}
