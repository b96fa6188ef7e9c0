package io.pgpubsub.relay;

import java.util.concurrent.CompletableFuture;

/**
 * Sends {@link RelayMessage}s to one broker target (a Kafka topic, a RabbitMQ exchange, a JetStream subject).
 * The {@link Relay} engine calls {@link #publish} for a batch of messages (at most one per key), then waits for
 * every returned future before it commits the removal of the confirmed notifications.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link #publish} does not wait for the broker: it starts the send and returns. It may be called from
 *       several relay worker threads at once.
 *   <li>The future completes normally only once the broker has confirmed that it stored the message durably (as
 *       durably as the publisher's settings ask: Kafka {@code acks=all}, RabbitMQ publisher confirms, a JetStream
 *       publish ack).
 *   <li>It completes exceptionally with {@link RelayRefusedException} when the broker refused this message for
 *       what it is (too large, unroutable, no stream for its subject): the notification goes dead with that
 *       error and is never sent again by itself.
 *   <li>Any other failure (broker down, timeout, connection lost) is transient: the notification stays in
 *       PostgreSQL and is sent again after a back-off. A transient failure may be reported even though the
 *       broker stored the message; the re-send then carries the same id.
 *   <li>{@link #publish} may also throw instead of returning a failed future; the engine treats the exception
 *       as the future's failure.
 * </ul>
 */
public interface RelayPublisher extends AutoCloseable {

  /** Starts sending {@code message}; see the class comment for what the future means. */
  CompletableFuture<?> publish(RelayMessage message);

  /** Where messages go, for log lines and errors (for example {@code kafka topic 'orders'}). */
  String target();

  /** Closes the broker connection this publisher opened (not one it was given). */
  @Override
  default void close() {}
}
