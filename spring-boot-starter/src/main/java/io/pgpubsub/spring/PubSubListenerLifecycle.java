package io.pgpubsub.spring;

import io.pgpubsub.Listener;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the application's pgpubsub {@link Listener} with the application context: built and started after the
 * context is refreshed (a configuration error fails the start), stopped gracefully when the context closes
 * (in-flight batches finish within {@code pgpubsub.listener.grace-period}; the rest roll back and stay stored).
 * It is in the last phase: it starts after everything else and stops first, before the web server and the
 * DataSource.
 */
public class PubSubListenerLifecycle implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(PubSubListenerLifecycle.class);

  private final Supplier<Listener> factory;
  private volatile Listener listener;

  public PubSubListenerLifecycle(Supplier<Listener> factory) {
    this.factory = factory;
  }

  /** The running listener; null before start and after stop. */
  public Listener listener() {
    return listener;
  }

  @Override
  public synchronized void start() {
    if (listener != null) {
      return;
    }
    Listener l = factory.get();
    l.start();
    listener = l;
    log.info("pgpubsub listener '{}' started on channels {}", l.name(), l.channels());
  }

  @Override
  public synchronized void stop() {
    Listener l = listener;
    if (l == null) {
      return;
    }
    listener = null;
    l.close();
  }

  @Override
  public boolean isRunning() {
    Listener l = listener;
    return l != null && l.isRunning();
  }

  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }
}
