package io.pgpubsub;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a record a plain channel: {@link Notifier#notify(java.sql.Connection, Object)} sends an instance
 * inside the caller's transaction, and {@link ChannelListener} methods receive it, typed.
 *
 * <pre>{@code
 * @Channel
 * public record CacheInvalidated(String key, Instant at) {}
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME) // read at run time to name a missing annotation processor
@Target(ElementType.TYPE)
public @interface Channel {

  /** The channel name. Default: the record's simple name in snake case. Same rules as {@link TriggerChannel#name()}. */
  String name() default "";

  /** See {@link TriggerChannel#lockable()}. */
  boolean lockable() default true;

  /**
   * {@code true}: order per key, as {@link TriggerChannel#ordered()}; the key is the one given to {@link
   * Notifier#notify(java.sql.Connection, Object, String)} (a send without a key is refused). Lockable channels
   * only. Default {@code false}.
   */
  boolean ordered() default false;

  /** See {@link TriggerChannel#deadKeyPolicy()}. */
  DeadKeyPolicy deadKeyPolicy() default DeadKeyPolicy.MOVE_ON;
}
