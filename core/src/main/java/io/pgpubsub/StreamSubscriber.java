package io.pgpubsub;

/** Receives a subscription's events (see {@link StreamReader#subscribe}), one at a time, in position order. */
@FunctionalInterface
public interface StreamSubscriber {

  /**
   * One event. Throwing ends the subscription (subscribe again from the last position you handled); events are
   * never skipped.
   */
  void onEvent(StreamEvent event) throws Exception;

  /**
   * The reset signal: the subscription's position was pruned by retention, the subscription has ended.
   * Rebuild what was built from the stream and subscribe again from {@link StreamPositionPrunedException#oldest()}.
   */
  default void onReset(StreamPositionPrunedException reset) {}
}
