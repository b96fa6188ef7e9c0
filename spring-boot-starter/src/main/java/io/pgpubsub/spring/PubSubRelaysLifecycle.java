package io.pgpubsub.spring;

import io.pgpubsub.relay.Relay;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the relays of {@code pgpubsub.relay.*} with the application context: created and started after the
 * context is refreshed and after the application's pgpubsub listener (a relay that cannot start fails the start
 * and the relays already started are closed), closed before the listener when the context closes (batches in
 * flight wait for their broker's confirmations, at most the relay's confirm-timeout).
 *
 * <p>Its signatures name no relay type but in a generic (erased) position, so that the starter's classes stay
 * loadable in an application without pgpubsub-relay.
 */
public class PubSubRelaysLifecycle implements SmartLifecycle, DisposableBean {

  private final Supplier<List<AutoCloseable>> factory;
  private volatile List<AutoCloseable> running;

  public PubSubRelaysLifecycle(Supplier<List<AutoCloseable>> factory) {
    this.factory = factory;
  }

  /** The running relays, in the order of their properties; empty before start and after stop. */
  @SuppressWarnings("unchecked")
  public List<Relay> relays() {
    List<AutoCloseable> r = running;
    return r == null ? List.of() : (List<Relay>) (List<?>) Collections.unmodifiableList(r);
  }

  @Override
  public synchronized void start() {
    if (running == null) {
      running = factory.get();
    }
  }

  @Override
  public synchronized void stop() {
    List<AutoCloseable> r = running;
    if (r == null) {
      return;
    }
    running = null;
    closeAll(r);
  }

  /** Closes {@code relays} in reverse order; a failure to close one does not keep the others open. */
  static void closeAll(List<AutoCloseable> relays) {
    List<AutoCloseable> reversed = new ArrayList<>(relays);
    Collections.reverse(reversed);
    for (AutoCloseable c : reversed) {
      try {
        c.close();
      } catch (Exception e) {
        org.slf4j.LoggerFactory.getLogger(PubSubRelaysLifecycle.class).warn("closing {} failed", c, e);
      }
    }
  }

  @Override
  public void destroy() {
    stop();
  }

  @Override
  public boolean isRunning() {
    return running != null;
  }

  /**
   * The listener's phase: the relays start after the listener and stop before it because their bean depends on
   * the listener's (Spring starts a bean's dependencies first and stops its dependents first).
   */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }
}
