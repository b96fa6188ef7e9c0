package io.pgpubsub;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the method after a committed INSERT of a {@link TriggerChannel} entity. The entity type is taken from
 * the method's parameters. Accepted parameters, in any order:
 *
 * <ul>
 *   <li>the entity: one parameter is the new row (the old row for deletes); two parameters of the entity type
 *       are {@code (old, current)}; {@code old} is null for inserts, {@code current} null for deletes;
 *   <li>{@link Delivery}: the notification's id, attempt number and context;
 *   <li>{@code org.hibernate.Session}, {@code jakarta.persistence.EntityManager} or {@code java.sql.Connection}
 *       sharing the transaction that removes the notification.
 * </ul>
 *
 * The method must return {@code void}, must not be private, and its class must be a public top-level or
 * static nested class; instance methods need a no-argument constructor (or a listener factory).
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface PostInsertListener {}
