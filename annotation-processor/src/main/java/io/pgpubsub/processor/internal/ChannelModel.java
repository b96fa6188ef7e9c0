package io.pgpubsub.processor.internal;

import java.util.List;

/**
 * One {@code @TriggerChannel} entity or {@code @Channel} record, as scanned (not yet validated).
 *
 * @param name the channel name (explicit or derived)
 * @param nameWhere where a bad name is reported
 * @param type the entity or record type
 * @param trigger true for {@code @TriggerChannel}
 * @param lockable stored and processed once (true) or broadcast
 * @param pgNotify the trigger calls pg_notify (true) or only stores the row, for listeners that poll (false)
 * @param table the mapped table (null for plain channels)
 * @param operations the operations written in the annotation; null when not given (derived from listeners)
 * @param watchColumns the names written in watchColumns
 * @param excludeColumns the names written in excludeColumns
 * @param where the annotated type and its annotation
 * @param ordered {@code ordered = true}: order per key
 * @param orderedWhere where {@code ordered} was written (the annotation when it was not)
 * @param orderKey the attribute or column written in {@code orderKey}, or null (the id)
 * @param deadKeyPolicy the {@code DeadKeyPolicy} constant's name
 * @param stream {@code stream = true}: the trigger appends to the stream of the channel's name
 * @param streamWhere where {@code stream} was written (the annotation when it was not)
 * @param retain {@code retain} as written, or null when not given
 * @param retainWhere where {@code retain} was written
 * @param retainCount {@code retainCount} as written (0 when not given)
 * @param retainCountWhere where {@code retainCount} was written, or null when it was not
 */
public record ChannelModel(
    String name,
    Where nameWhere,
    TypeRef type,
    boolean trigger,
    boolean lockable,
    boolean pgNotify,
    TableModel table,
    List<Op> operations,
    List<ColumnRef> watchColumns,
    List<ColumnRef> excludeColumns,
    Where where,
    boolean ordered,
    Where orderedWhere,
    ColumnRef orderKey,
    String deadKeyPolicy,
    boolean stream,
    Where streamWhere,
    String retain,
    Where retainWhere,
    long retainCount,
    Where retainCountWhere) {

  public ChannelModel {
    operations = operations == null ? null : List.copyOf(operations);
    watchColumns = List.copyOf(watchColumns);
    excludeColumns = List.copyOf(excludeColumns);
  }

  /** A column name written in an annotation, with where it was written. */
  public record ColumnRef(String name, Where where) {}
}
