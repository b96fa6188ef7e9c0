package io.pgpubsub;

import java.time.Instant;
import java.util.List;

/**
 * What {@link Streams#status} reads about one stream: for operators, {@code status} tools and dashboards.
 *
 * @param stream the stream's name
 * @param events how many events are stored
 * @param oldestAt the oldest stored event's {@code created_at}, null when none is stored
 * @param newestAt the newest stored event's {@code created_at}, null when none is stored
 * @param tail the newest readable position ({@link Streams#tail})
 * @param prunedUpTo retention's watermark (everything at or below it is gone), null when never pruned
 * @param prunedAt when retention last deleted events, null when never
 * @param consumers the stream's named consumers, by name
 */
public record StreamStatus(
    String stream,
    long events,
    Instant oldestAt,
    Instant newestAt,
    StreamPosition tail,
    StreamPosition prunedUpTo,
    Instant prunedAt,
    List<Consumer> consumers) {

  public StreamStatus {
    consumers = List.copyOf(consumers);
  }

  /**
   * A named consumer.
   *
   * @param consumer its name
   * @param position its stored position
   * @param lag how many stored events are after its position (readable or not yet)
   * @param updatedAt when its position was last stored
   * @param pruned true when its position is below the watermark: its next batch gets the reset signal
   */
  public record Consumer(String consumer, StreamPosition position, long lag, Instant updatedAt, boolean pruned) {}
}
