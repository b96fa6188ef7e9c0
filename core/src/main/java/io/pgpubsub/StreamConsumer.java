package io.pgpubsub;

import io.pgpubsub.internal.Backoff;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.StreamConsumerBatch;
import io.pgpubsub.internal.StreamRepository;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A named consumer of a stream: it stores its position in the database, in the same transaction as its
 * handler's database work. Each batch is one transaction: lock the consumer, read the events after its
 * position, run the handler on the batch's connection, store the new position, commit. A crash or a failing
 * handler rolls back the handler's work and the position together, so the handler's database effects are
 * exactly-once; its external side effects are at-least-once (the batch runs again). One batch of a consumer runs
 * at a time, across any number of processes (a transaction-scoped advisory lock per consumer and stream).
 *
 * <pre>{@code
 * try (StreamConsumer c = StreamConsumer.builder(dataSource, "orders", "search-indexer")
 *     .handler((tx, events) -> index(tx, events)).start()) { ... }
 * }</pre>
 *
 * Or drive it yourself: {@link #runBatch}.
 */
public final class StreamConsumer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StreamConsumer.class);

  /** The consumer's callback: the batch's events, and the connection of the transaction that stores the position. */
  @FunctionalInterface
  public interface Handler {
    /**
     * Handles {@code events} (in position order). Database work on {@code transaction} commits with the new
     * position; throwing rolls both back. Commit, rollback and auto-commit changes are refused on it.
     */
    void handle(Connection transaction, List<StreamEvent> events) throws Exception;
  }

  private final Builder config;
  private final StreamRepository repository;
  private final Thread thread;
  private final Object wake = new Object();
  private volatile boolean closed;

  private StreamConsumer(Builder b) {
    this.config = b;
    this.repository = Streams.create(b.schema).repository();
    this.thread = new Thread(this::run, "pgpubsub-stream-consumer-" + b.consumer);
    this.thread.setDaemon(true);
  }

  public static Builder builder(DataSource dataSource, String stream, String consumer) {
    return new Builder(dataSource, stream, consumer);
  }

  /**
   * One batch on {@code connection} (see the class comment); it runs its own transaction and restores
   * auto-commit.
   *
   * @return how many events were handled (0: none readable after the consumer's position)
   * @throws StreamPositionPrunedException the consumer's position was pruned: {@link #seek} it, then go on
   */
  public static int runBatch(
      Streams streams, Connection connection, String stream, String consumer, int limit, Handler handler)
      throws Exception {
    ChannelNames.validate(stream);
    Objects.requireNonNull(consumer, "consumer");
    Objects.requireNonNull(handler, "handler");
    return StreamConsumerBatch.run(streams.repository(), connection, consumer, stream, limit, handler::handle);
  }

  /** The consumer's stored position ({@link StreamPosition#BEGINNING} before its first batch). */
  public static StreamPosition position(Streams streams, Connection connection, String stream, String consumer)
      throws SQLException {
    return streams.repository().consumerPosition(connection, consumer, stream);
  }

  /** Sets the consumer's position, inside {@code connection}'s transaction (after a reset, or to skip ahead). */
  public static void seek(
      Streams streams, Connection connection, String stream, String consumer, StreamPosition position)
      throws SQLException {
    streams.repository().storeConsumer(connection, consumer, stream, position);
  }

  private void run() {
    int failures = 0;
    Streams streams = Streams.create(config.schema);
    while (!closed) {
      long waitMs;
      try (Connection c = config.dataSource.getConnection()) {
        int n;
        do {
          n = runBatch(streams, c, config.stream, config.consumer, config.batchSize, config.handler);
        } while (n == config.batchSize && !closed);
        failures = 0;
        waitMs = config.pollInterval.toMillis();
      } catch (StreamPositionPrunedException reset) {
        log.error("consumer '{}' of stream '{}' stopped: {}", config.consumer, config.stream, reset.getMessage());
        return;
      } catch (Throwable t) {
        if (closed) {
          return;
        }
        failures++;
        waitMs = Backoff.delayMillis(100, 30_000, failures - 1);
        log.warn("consumer '{}' of stream '{}': batch failed, again in {} ms", config.consumer, config.stream, waitMs, t);
      }
      synchronized (wake) {
        try {
          if (!closed) {
            wake.wait(Math.max(1, waitMs));
          }
        } catch (InterruptedException e) {
          if (closed) {
            return;
          }
        }
      }
    }
  }

  /** Runs the next batch now instead of at the next poll (for example from a {@link StreamReader} subscription). */
  public void wake() {
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  /** Stops after the running batch (waits up to 10 s). Idempotent. */
  @Override
  public void close() {
    closed = true;
    wake();
    try {
      thread.join(10_000);
      if (thread.isAlive()) {
        log.warn("consumer '{}' of stream '{}': batch still running after 10 s", config.consumer, config.stream);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Options of a {@link StreamConsumer}. */
  public static final class Builder {
    private final DataSource dataSource;
    private final String stream;
    private final String consumer;
    private String schema = NotificationTable.DEFAULT_SCHEMA;
    private Handler handler;
    private int batchSize = 100;
    private Duration pollInterval = Duration.ofMillis(200);

    private Builder(DataSource dataSource, String stream, String consumer) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      this.stream = ChannelNames.validate(stream);
      this.consumer = Objects.requireNonNull(consumer, "consumer");
    }

    public Builder schema(String schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    public Builder handler(Handler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /** Events per batch (per transaction). Default 100. */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
      }
      this.batchSize = batchSize;
      return this;
    }

    /** How often it looks for new events when it found none. Default 200 ms. */
    public Builder pollInterval(Duration pollInterval) {
      if (pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()) {
        throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
      }
      this.pollInterval = pollInterval;
      return this;
    }

    public StreamConsumer start() {
      if (handler == null) {
        throw new IllegalStateException("consumer '" + consumer + "' of stream '" + stream + "' has no handler");
      }
      StreamConsumer c = new StreamConsumer(this);
      c.thread.start();
      return c;
    }
  }
}
