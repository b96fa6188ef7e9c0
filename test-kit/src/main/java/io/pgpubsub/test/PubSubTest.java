package io.pgpubsub.test;

import io.pgpubsub.testing.PostgresExtension;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives the test class a fresh PostgreSQL database, as a {@link io.pgpubsub.testing.TestDatabase} parameter of
 * its constructor, {@code @BeforeAll}/{@code @BeforeEach} or test methods, dropped after the class.
 *
 * <p>The server is chosen once per JVM: the one {@code PGPUBSUB_TEST_JDBC_URL} names; else a {@code
 * postgres:17-alpine} container when a Docker engine answers (Testcontainers); else an embedded PostgreSQL 17
 * (zonky), so the tests run on any machine with Java alone.
 */
@Documented
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(PostgresExtension.class)
public @interface PubSubTest {}
