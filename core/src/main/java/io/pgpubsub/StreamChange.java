package io.pgpubsub;

import java.util.Map;

/**
 * One event of a stream channel ({@code @TriggerChannel(stream = true)}) or of a table captured with {@link
 * Streams#capture}, decoded: the operation, the old and new row as entities, the writer's notification context
 * and the event's position. Made by {@link StreamChanges#decode}.
 *
 * @param event the stored event (position, payload, createdAt)
 * @param op INSERT, UPDATE or DELETE
 * @param oldEntity the row before an UPDATE or DELETE, decoded; null for an INSERT
 * @param newEntity the row after an INSERT or UPDATE, decoded; null for a DELETE
 * @param context the notification context the writer set ({@code NotificationContext}), empty when none
 * @param <E> the entity type
 */
public record StreamChange<E>(StreamEvent event, Operation op, E oldEntity, E newEntity, Map<String, Object> context) {

  public StreamChange {
    context = context == null ? Map.of() : context;
  }

  /** The event's position: store it to resume after this change. */
  public StreamPosition position() {
    return event.position();
  }

  /** The stream's name (the channel name). */
  public String stream() {
    return event.stream();
  }
}
