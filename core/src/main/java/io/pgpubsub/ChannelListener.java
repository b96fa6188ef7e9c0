package io.pgpubsub;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs the method for each message of a plain {@link Channel}. The channel is the type of the record
 * parameter; {@link Delivery}, {@code org.hibernate.Session}, {@code jakarta.persistence.EntityManager} and
 * {@code java.sql.Connection} parameters are accepted as for {@link PostSaveListener}.
 */
@Documented
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.METHOD)
public @interface ChannelListener {}
