package io.pgpubsub.hibernate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.Listener;
import io.pgpubsub.NotificationContext;
import io.pgpubsub.hibernate.internal.ConnectionSettings;
import io.pgpubsub.hibernate.internal.PubSubService;
import io.pgpubsub.spi.RowDecoder;
import io.pgpubsub.spi.TransactionResources;
import jakarta.persistence.EntityManager;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.SharedSessionContract;
import org.hibernate.StatelessSession;

/**
 * The Hibernate integration's entry points.
 *
 * <pre>{@code
 * try (Listener listener = HibernatePubSub.listener(sessionFactory).workers(4).build().start()) {
 *   ...
 * }
 *
 * // in a writer's transaction:
 * HibernatePubSub.setContext(entityManager, Map.of("tenant", "acme", "user", userId));
 * }</pre>
 */
public final class HibernatePubSub {

  private HibernatePubSub() {}

  /**
   * A listener builder set up for {@code sessionFactory}: entities decoded through its mapping, callbacks
   * handed a Session/EntityManager on the worker's connection, the notification table schema of {@link
   * PubSubSettings#SCHEMA}, the channels of the generated registries whose entities this factory maps (plus
   * every plain channel), and the connections Hibernate itself uses: its DataSource when it has one
   * (Spring Boot), else its JDBC URL with the user and password from the settings Hibernate connects with
   * ({@code jakarta.persistence.jdbc.user}/{@code password} or {@code hibernate.connection.username}/{@code
   * password}; not {@code SessionFactory.getProperties()}, which masks them), else the DataSource behind
   * its ConnectionProvider. Everything can still be overridden on the returned builder, for example {@code
   * .dataSource(ds)}, {@code .jdbcUrl(...)}, {@code .channels(...)}.
   *
   * @throws IllegalStateException when the factory has neither a DataSource nor a PostgreSQL JDBC URL
   */
  public static Listener.Builder listener(SessionFactory sessionFactory) {
    ConnectionSettings settings = ConnectionSettings.of(sessionFactory);
    Listener.Builder builder = base(sessionFactory);
    if (settings.dataSource() != null) {
      builder.dataSource(settings.dataSource());
    } else if (settings.url() != null) {
      builder.jdbcUrl(settings.url()).user(settings.user()).password(settings.password());
    } else {
      throw new IllegalStateException(
          "pgpubsub: the SessionFactory has no DataSource and no PostgreSQL JDBC URL"
              + " (jakarta.persistence.jdbc.url, hibernate.connection.url) that a listener could use; use"
              + " HibernatePubSub.listener(sessionFactory).dataSource(dataSource)");
    }
    return builder;
  }

  /** Like {@link #listener(SessionFactory)}, with the workers' (and LISTEN) connections from {@code dataSource}. */
  public static Listener.Builder listener(SessionFactory sessionFactory, DataSource dataSource) {
    return base(sessionFactory).dataSource(Objects.requireNonNull(dataSource, "dataSource"));
  }

  private static Listener.Builder base(SessionFactory sessionFactory) {
    PubSubService service = PubSubService.of(sessionFactory);
    return Listener.builder()
        .rowDecoder(service.decoder())
        .transactionResources(service.resources())
        .schema(service.schema())
        .channelDefinitions(ConnectionSettings.channelsOf(service));
  }

  /** Decodes stored rows into detached entities through {@code sessionFactory}'s mapping. */
  public static RowDecoder rowDecoder(SessionFactory sessionFactory) {
    return PubSubService.of(sessionFactory).decoder();
  }

  /** Hands callbacks a Session/EntityManager/StatelessSession that shares the worker's transaction. */
  public static TransactionResources transactionResources(SessionFactory sessionFactory) {
    return PubSubService.of(sessionFactory).resources();
  }

  /**
   * Attaches {@code context} (a JSON-able map) to every notification the current transaction produces,
   * from this call to its end; callbacks receive it as {@code Delivery.context()}. Transaction-local: it
   * never leaks into the next transaction on the same connection. Replaces a context set earlier in the
   * transaction.
   *
   * @param entityManager a Session or EntityManager joined to an active transaction
   * @throws IllegalStateException when no transaction is active
   * @throws IllegalArgumentException when the map cannot be written as JSON
   */
  public static void setContext(EntityManager entityManager, Map<String, ?> context) {
    Objects.requireNonNull(context, "context");
    if (!entityManager.isJoinedToTransaction()) {
      throw new IllegalStateException(
          "pgpubsub: setContext needs an active transaction (the context is transaction-local and would"
              + " vanish at once)");
    }
    doWork(entityManager.unwrap(Session.class), context);
  }

  /** {@link #setContext(EntityManager, Map)} for a StatelessSession (in an active transaction). */
  public static void setContext(StatelessSession session, Map<String, ?> context) {
    Objects.requireNonNull(context, "context");
    if (!session.getTransaction().isActive()) {
      throw new IllegalStateException(
          "pgpubsub: setContext needs an active transaction (the context is transaction-local and would"
              + " vanish at once)");
    }
    doWork(session, context);
  }

  /** Removes the context for the rest of the current transaction (notifications then carry {@code {}}). */
  public static void clearContext(EntityManager entityManager) {
    entityManager.unwrap(Session.class).doWork(NotificationContext::clear);
  }

  private static void doWork(SharedSessionContract session, Map<String, ?> context) {
    session.doWork(connection -> NotificationContext.set(connection, context));
  }

  /**
   * A {@link Listener.Builder#payloadFilter(String)} value that selects the notifications whose context
   * contains {@code context}, e.g. {@code contextFilter(Map.of("tenant", "acme"))} for a worker that serves
   * one tenant: {@code {"context":{"tenant":"acme"}}}.
   */
  public static String contextFilter(Map<String, ?> context) {
    try {
      return new ObjectMapper().writeValueAsString(Map.of("context", context));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the context filter cannot be written as JSON: " + e.getOriginalMessage(), e);
    }
  }
}
