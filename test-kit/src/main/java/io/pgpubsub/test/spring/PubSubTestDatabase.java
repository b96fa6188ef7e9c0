package io.pgpubsub.test.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Gives a {@code @SpringBootTest} (or any Spring test context) a fresh PostgreSQL database <em>before</em> the
 * context starts: {@code spring.datasource.url}, {@code username} and {@code password} point at it, so the
 * DataSource, Flyway or Liquibase, Hibernate and the pgpubsub listener all start on it.
 *
 * <pre>{@code
 * @SpringBootTest
 * @PubSubTestDatabase
 * class OrderFlowTest {
 *   @Autowired OrderRepository orders;
 *   @Autowired ApplicationContext context;
 *
 *   @Test
 *   void aSavedOrderIsInvoiced() {
 *     orders.save(new PurchaseOrder(...));
 *     PubSubTesting.assertDelivered(1, SpringPubSubTesting.listener(context).drain());
 *   }
 * }
 * }</pre>
 *
 * <p>The server is the one the test kit chooses for every test ({@code PGPUBSUB_TEST_JDBC_URL}, else
 * Testcontainers when a Docker engine answers, else an embedded PostgreSQL 17), started once per JVM. Each
 * application context gets its own database; contexts that Spring caches and shares between test classes
 * share it. The database outlives its context: it is dropped after the context has closed (listener stopped,
 * pool closed), and a context still cached when the JVM exits is closed before the server stops. The {@link
 * io.pgpubsub.testing.TestDatabase} is a bean of the context, for tests that want its URL or a direct
 * connection.
 */
@Documented
@Inherited
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
public @interface PubSubTestDatabase {}
