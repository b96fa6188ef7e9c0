package io.pgpubsub;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a JPA {@code @Entity} a channel: the annotation processor generates a PostgreSQL trigger on the
 * entity's table that, inside the writer's transaction, stores each changed row (old and new, as JSON) and
 * wakes the listeners.
 *
 * <pre>{@code
 * @Entity
 * @TriggerChannel(watchColumns = "status", excludeColumns = "content")
 * public class Media { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME) // read at boot to name a missing annotation processor
@Target(ElementType.TYPE)
public @interface TriggerChannel {

  /**
   * The channel name: the LISTEN/NOTIFY channel and the value of the notification table's {@code channel}
   * column. Default: the entity's table name (without schema). At most 63 bytes; letters, digits, {@code _},
   * {@code .} and {@code -} only.
   */
  String name() default "";

  /**
   * {@code true} (default): each notification is stored and processed by exactly one listener process
   * (claimed with {@code FOR UPDATE SKIP LOCKED}). {@code false}: broadcast, every connected listener
   * process receives every event, nothing is kept for listeners that are not running.
   */
  boolean lockable() default true;

  /**
   * {@code true} (default): the trigger also calls {@code pg_notify}, so listeners wake within milliseconds.
   * {@code false}: the trigger only stores the row, and listeners find it when they next poll ({@code
   * Listener.Builder.pollInterval}, so set that to the delay you accept, for example 50 ms). Choose {@code
   * false} for tables written by many small concurrent transactions: PostgreSQL serializes the commits of all
   * transactions that sent a NOTIFY, database-wide (a lock taken at commit, held until the commit is on disk),
   * and in the README's benchmark that alone cut single-row insert throughput to about a third. Lockable
   * channels only: a broadcast event travels in the NOTIFY.
   */
  boolean pgNotify() default true;

  /**
   * The operations the trigger captures. Default: the union of what this channel's listeners need (all
   * three when the channel has no listener in the same compilation).
   */
  Operation[] operations() default {};

  /**
   * Notify on UPDATE only when one of these columns changes ({@code IS DISTINCT FROM}). Column names as
   * in the database ({@code @Column(name)} honoured) or attribute names; default: any change.
   */
  String[] watchColumns() default {};

  /** Columns left out of the stored old/new rows (large blobs, secrets). Names as for {@link #watchColumns}. */
  String[] excludeColumns() default {};

  /**
   * {@code true}: order per key. For one key ({@link #orderKey()}), callbacks run one at a time, in the order
   * the writes committed, across every worker and listener process; different keys run in parallel; a failing
   * notification holds back only its own key while it is retried ({@link #deadKeyPolicy()} says what happens
   * once it is dead). Cost: writers of one key serialize (the trigger takes a transaction-scoped advisory lock
   * per key, held until the writer commits), and claiming reads the head of every waiting key. Lockable
   * channels only. See docs/ordered-channels.md. Default {@code false}.
   */
  boolean ordered() default false;

  /**
   * The attribute (or database column) whose value is the order key of an {@link #ordered()} channel, for
   * example {@code "customerId"}. Default: the entity's id (all id columns for a composite id). An UPDATE is
   * ordered under the row's new key value, a DELETE under the old one; a null value is the key {@code ""}.
   */
  String orderKey() default "";

  /** What an {@link #ordered()} channel does with a key whose oldest notification is dead. Default: move on. */
  DeadKeyPolicy deadKeyPolicy() default DeadKeyPolicy.MOVE_ON;

  /**
   * {@code true}: a stream channel. The trigger appends each change to the stream of the channel's name
   * ({@code pgpubsub_stream_event}, stream = {@link #name()}) inside the writer's transaction, with the same
   * payload a lockable channel stores ({@code {"op","table","old","new","context","v"}}, honouring {@link
   * #operations()}, {@link #watchColumns()} and {@link #excludeColumns()}), and wakes the stream's readers
   * ({@link #pgNotify()} {@code false}: they find it when they poll). Events stay after they are read, each at
   * a position (see docs/streams.md); read them with {@code StreamReader} / {@code StreamConsumer}, typed with
   * {@code StreamChanges} ({@code HibernatePubSub.streamChanges}). A stream channel takes no {@code
   * @Post*Listener} methods (a compile error says what to use instead), and is neither ordered nor a
   * broadcast. Default {@code false}.
   */
  boolean stream() default false;

  /**
   * Retention by age of a {@link #stream()} channel: an ISO-8601 duration ({@code java.time.Duration.parse}),
   * for example {@code "P7D"} (7 days) or {@code "PT12H"}; events older than that are pruned. Default: keep
   * (no age limit). A malformed or non-positive duration is a compile error. Enforced by whoever runs
   * retention for the stream: a {@code StreamReader} built with {@code StreamReader.Builder.retention(ChannelDefinition)}
   * (the Hibernate integration's {@code HibernatePubSub.streamReader}) or {@code Streams.prune(connection,
   * channelDefinition)}.
   */
  String retain() default "";

  /**
   * Retention by count of a {@link #stream()} channel: keep at most the newest {@code retainCount} events.
   * Default 0: no count limit. With {@link #retain()} as well, an event goes when it is too old or beyond the
   * count.
   */
  long retainCount() default 0;
}
