package io.pgpubsub;

import java.time.Instant;
import java.util.Map;

/**
 * What a callback may know about the notification it processes.
 *
 * @param id the notification's stable id (the notification table's primary key); the same on every
 *     attempt, so it can key idempotent external side effects. {@code 0} for broadcast events that were not
 *     stored.
 * @param channel the channel name
 * @param operation INSERT, UPDATE or DELETE; {@code null} for plain channels
 * @param attempt 1 on the first attempt, 2 on the first retry, ...
 * @param createdAt when the writer's transaction stored the notification
 * @param context the notification context the writer set (empty when none), never null
 */
public record Delivery(
    long id, String channel, Operation operation, int attempt, Instant createdAt, Map<String, Object> context) {

  public Delivery {
    context = context == null ? Map.of() : context;
  }
}
