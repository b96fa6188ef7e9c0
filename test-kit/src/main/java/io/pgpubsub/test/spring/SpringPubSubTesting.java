package io.pgpubsub.test.spring;

import io.pgpubsub.Listener;
import io.pgpubsub.spring.PubSubListenerLifecycle;
import org.springframework.context.ApplicationContext;

/**
 * The running application's listener, for a {@code @SpringBootTest}: {@code drain()}, {@code awaitIdle(...)},
 * {@code deadLetters()}, and the assertions of {@link io.pgpubsub.test.PubSubTesting}.
 */
public final class SpringPubSubTesting {

  private SpringPubSubTesting() {}

  /**
   * The listener pgpubsub-spring-boot-starter started with {@code context}.
   *
   * @throws IllegalStateException when the context has none (no channel with a listener method, {@code
   *     pgpubsub.listener.enabled=false}, or the context is not running), saying which
   */
  public static Listener listener(ApplicationContext context) {
    PubSubListenerLifecycle lifecycle = context.getBeanProvider(PubSubListenerLifecycle.class).getIfAvailable();
    if (lifecycle == null) {
      throw new IllegalStateException(
          "this application context has no pgpubsub listener: pgpubsub-spring-boot-starter starts one when the"
              + " context has an EntityManagerFactory, a DataSource and a generated channel registry"
              + " (pgpubsub-processor in annotationProcessorPaths), unless pgpubsub.listener.enabled=false");
    }
    Listener listener = lifecycle.listener();
    if (listener == null) {
      throw new IllegalStateException("the pgpubsub listener of this application context is not running"
          + " (the context is not started yet, or is closing)");
    }
    return listener;
  }
}
