package io.pgpubsub.spi;

import io.pgpubsub.DeadKeyPolicy;
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
 * @param installed for trigger channels, the database objects the generated DDL installs and the columns it
 *     names, so that a boot can check them without running DDL; null for plain channels (and for registries
 *     generated before it existed)
 * @param ordered true for an ordered channel ({@code @TriggerChannel(ordered = true)}, {@code @Channel(ordered =
 *     true)}): per key, one notification at a time, in commit order
 * @param deadKeyPolicy for ordered channels, what a dead notification does to its key (never null)
 * @param stream for a stream channel ({@code @TriggerChannel(stream = true)}), its retention; null for every
 *     other channel
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
    List<ListenerDefinition> listeners,
    Installed installed,
    boolean ordered,
    DeadKeyPolicy deadKeyPolicy,
    StreamOptions stream) {

  public ChannelDefinition {
    operations = Set.copyOf(operations);
    listeners = List.copyOf(listeners);
    deadKeyPolicy = deadKeyPolicy == null ? DeadKeyPolicy.MOVE_ON : deadKeyPolicy;
    if (ordered && !lockable) {
      throw new IllegalArgumentException("channel '" + name + "': an ordered channel must be lockable");
    }
    if (stream != null && (ordered || !listeners.isEmpty())) {
      throw new IllegalArgumentException(
          "channel '" + name + "': a stream channel is neither ordered nor has listeners (read it with a StreamConsumer)");
    }
  }

  /** A channel that is not a stream (registries generated before stream channels existed). */
  public ChannelDefinition(
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
      List<ListenerDefinition> listeners,
      Installed installed,
      boolean ordered,
      DeadKeyPolicy deadKeyPolicy) {
    this(
        name, payloadType, trigger, lockable, pgNotify, schema, table, operations, mappingVersion, ddlResource,
        listeners, installed, ordered, deadKeyPolicy, null);
  }

  /** Whether this is a stream channel: its trigger appends to the stream of its name ({@link #stream()}). */
  public boolean isStream() {
    return stream != null;
  }

  /**
   * A stream channel's retention ({@code @TriggerChannel(retain, retainCount)}).
   *
   * @param retain the age after which events are pruned, null for no age limit
   * @param retainCount how many of the newest events are kept, 0 for no count limit
   */
  public record StreamOptions(java.time.Duration retain, long retainCount) {

    public StreamOptions {
      if (retain != null && (retain.isNegative() || retain.isZero())) {
        throw new IllegalArgumentException("retain must be positive, was " + retain);
      }
      if (retainCount < 0) {
        throw new IllegalArgumentException("retainCount must not be negative, was " + retainCount);
      }
    }

    /** Whether any retention is set (else the stream keeps everything). */
    public boolean retains() {
      return retain != null || retainCount > 0;
    }
  }

  /** An unordered channel (registries generated before ordered channels existed, hand-written definitions). */
  public ChannelDefinition(
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
      List<ListenerDefinition> listeners,
      Installed installed) {
    this(
        name, payloadType, trigger, lockable, pgNotify, schema, table, operations, mappingVersion, ddlResource,
        listeners, installed, false, DeadKeyPolicy.MOVE_ON);
  }

  /** A channel without {@link #installed()} information (plain channels, hand-written definitions). */
  public ChannelDefinition(
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
    this(
        name, payloadType, trigger, lockable, pgNotify, schema, table, operations, mappingVersion, ddlResource,
        listeners, null);
  }

  /**
   * What a trigger channel's generated DDL installs.
   *
   * @param functionSchema the trigger function's schema (the processor's {@code pgpubsub.schema})
   * @param function the trigger function's name
   * @param trigger the trigger's name (on the channel's table)
   * @param ddlVersion the marker the DDL writes into the function body and the trigger's comment: a hash of
   *     the whole DDL, so that any difference shows
   * @param columns every column the DDL names (watched and excluded columns), sorted
   */
  public record Installed(
      String functionSchema, String function, String trigger, String ddlVersion, List<Column> columns) {

    public Installed {
      columns = List.copyOf(columns);
    }
  }

  /**
   * A column the trigger names.
   *
   * @param column the database column name the DDL uses (as PostgreSQL stores it)
   * @param written the name as written in the annotation
   * @param attribute the entity attribute (path) the processor mapped it from
   * @param annotationAttribute where it was written: {@code watchColumns} or {@code excludeColumns}
   */
  public record Column(String column, String written, String attribute, String annotationAttribute) {}
}
