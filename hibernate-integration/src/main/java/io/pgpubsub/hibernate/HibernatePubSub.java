package io.pgpubsub.hibernate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.Listener;
import io.pgpubsub.NotificationContext;
import io.pgpubsub.StreamChange;
import io.pgpubsub.StreamChanges;
import io.pgpubsub.StreamConsumer;
import io.pgpubsub.StreamReader;
import io.pgpubsub.spi.ChannelDefinition;
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

  /**
   * Decodes the events of {@code entityClass}'s stream channel ({@code @TriggerChannel(stream = true)}) into
   * {@link StreamChange}s whose old and new entities are decoded through {@code sessionFactory}'s mapping (as
   * listeners' entities are: naming strategies, converters, embeddables), detached.
   *
   * @throws IllegalArgumentException when {@code entityClass} is not a stream channel's entity of this factory
   */
  public static <E> StreamChanges<E> streamChanges(SessionFactory sessionFactory, Class<E> entityClass) {
    PubSubService service = PubSubService.of(sessionFactory);
    return StreamChanges.of(streamChannel(service, entityClass), entityClass, service.decoder());
  }

  /**
   * A {@link StreamReader} builder for {@code entityClass}'s stream channel: its stream (the channel name), the
   * schema of {@link PubSubSettings#SCHEMA}, the retention the annotation declares ({@code retain}, {@code
   * retainCount}; the reader runs it every minute), and Hibernate's connections (as {@link #listener(SessionFactory)}
   * finds them). Decode its events with {@link #streamChanges}.
   */
  public static StreamReader.Builder streamReader(SessionFactory sessionFactory, Class<?> entityClass) {
    PubSubService service = PubSubService.of(sessionFactory);
    ChannelDefinition channel = streamChannel(service, entityClass);
    return StreamReader.builder(dataSource(sessionFactory), channel.name())
        .schema(service.schema())
        .retention(channel);
  }

  /**
   * A named {@link StreamConsumer} builder for {@code entityClass}'s stream channel, on Hibernate's connections
   * and the schema of {@link PubSubSettings#SCHEMA}: set its handler (decode each event with {@link
   * #streamChanges}) and start it. Its position commits with the handler's database work.
   */
  public static StreamConsumer.Builder streamConsumer(
      SessionFactory sessionFactory, Class<?> entityClass, String consumer) {
    PubSubService service = PubSubService.of(sessionFactory);
    ChannelDefinition channel = streamChannel(service, entityClass);
    return StreamConsumer.builder(dataSource(sessionFactory), channel.name(), consumer).schema(service.schema());
  }

  private static ChannelDefinition streamChannel(PubSubService service, Class<?> entityClass) {
    Objects.requireNonNull(entityClass, "entityClass");
    for (ChannelDefinition c : ConnectionSettings.channelsOf(service)) {
      if (c.trigger() && c.payloadType() == entityClass) {
        if (!c.isStream()) {
          throw new IllegalArgumentException(
              "channel '" + c.name() + "' of " + entityClass.getName() + " is not a stream channel: annotate the"
                  + " entity with @TriggerChannel(stream = true)");
        }
        return c;
      }
    }
    throw new IllegalArgumentException(
        entityClass.getName() + " is not a @TriggerChannel entity of this SessionFactory (no generated registry"
            + " declares it, or the factory does not map it)");
  }

  /** Hibernate's DataSource, or one on its JDBC URL and credentials. */
  private static DataSource dataSource(SessionFactory sessionFactory) {
    ConnectionSettings settings = ConnectionSettings.of(sessionFactory);
    if (settings.dataSource() != null) {
      return settings.dataSource();
    }
    if (settings.url() == null) {
      throw new IllegalStateException(
          "pgpubsub: the SessionFactory has no DataSource and no PostgreSQL JDBC URL"
              + " (jakarta.persistence.jdbc.url, hibernate.connection.url) that a stream reader could use; use"
              + " StreamReader.builder(dataSource, stream) / StreamConsumer.builder(dataSource, stream, name)");
    }
    org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
    ds.setUrl(settings.url());
    if (settings.user() != null) {
      ds.setUser(settings.user());
    }
    if (settings.password() != null) {
      ds.setPassword(settings.password());
    }
    return ds;
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
