package io.pgpubsub.spi;

import io.pgpubsub.Operation;
import java.util.List;
import java.util.Set;

/**
 * One channel, as the annotation processor saw it.
 *
 * @param name the channel name (LISTEN/NOTIFY channel and {@code channel} column value)
 * @param payloadType the entity class (trigger channels) or record class (plain channels)
 * @param trigger true for a {@code @TriggerChannel} entity, false for a plain {@code @Channel} record
 * @param lockable true: stored, exactly one listener processes each notification; false: broadcast
 * @param pgNotify false when the trigger sends no NOTIFY ({@code @TriggerChannel(pgNotify = false)}): listeners
 *     find its rows only by polling; true otherwise (plain channels always notify)
 * @param schema the table's schema for trigger channels, or null when the entity names none
 * @param table the table name for trigger channels (unquoted, as in the database), null for plain channels
 * @param operations the operations the trigger captures (empty for plain channels)
 * @param mappingVersion identifies the column set the DDL was generated from (the payload's {@code v})
 * @param ddlResource classpath resource holding this channel's trigger DDL, null for plain channels
 * @param listeners the channel's listener methods, in a stable order
 */
public record ChannelDefinition(
    String name,
    Class<?> payloadType,
    boolean trigger,
    boolean lockable,
    boolean pgNotify,
    String schema,
    String table,
    Set<Operation> operations,
    String mappingVersion,
    String ddlResource,
    List<ListenerDefinition> listeners) {

  public ChannelDefinition {
    operations = Set.copyOf(operations);
    listeners = List.copyOf(listeners);
  }
}
