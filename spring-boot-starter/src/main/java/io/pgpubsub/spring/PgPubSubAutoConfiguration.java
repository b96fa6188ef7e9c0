package io.pgpubsub.spring;

import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.Transport;
import io.pgpubsub.hibernate.HibernatePubSub;
import io.pgpubsub.spring.internal.SpringTransactionResources;
import jakarta.persistence.EntityManagerFactory;
import java.util.function.Function;
import javax.sql.DataSource;
import org.hibernate.SessionFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.AutowireCapableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnResource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Starts a pgpubsub {@link Listener} with the application when an {@code EntityManagerFactory} and a generated
 * channel registry are present: on the application's DataSource, entities decoded through Hibernate's mapping,
 * listener classes created through the application context, callbacks joined to Spring's transaction.
 */
@AutoConfiguration(
    afterName = {
      "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"
    })
@ConditionalOnClass({EntityManagerFactory.class, SessionFactory.class, Listener.class})
@ConditionalOnBean({EntityManagerFactory.class, DataSource.class})
@EnableConfigurationProperties(PgPubSubProperties.class)
public class PgPubSubAutoConfiguration {

  /** Where the generated registries are listed. */
  static final String REGISTRY_SERVICES = "classpath:META-INF/services/io.pgpubsub.spi.ChannelRegistry";

  @Bean
  @ConditionalOnMissingBean
  public PubSubContext pubSubContext(DataSource dataSource) {
    return new PubSubContext(dataSource);
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnResource(resources = REGISTRY_SERVICES)
  @ConditionalOnBooleanProperty(name = "pgpubsub.listener.enabled", matchIfMissing = true)
  public PubSubListenerLifecycle pubSubListenerLifecycle(
      EntityManagerFactory entityManagerFactory,
      DataSource dataSource,
      PgPubSubProperties properties,
      AutowireCapableBeanFactory beanFactory,
      Environment environment,
      ObjectProvider<PubSubListenerCustomizer> customizers) {
    return new PubSubListenerLifecycle(
        () -> {
          Listener.Builder builder =
              builder(entityManagerFactory, dataSource, properties, beanFactory, environment);
          customizers.orderedStream().forEach(c -> c.customize(builder));
          return builder.build();
        });
  }

  /** The listener builder the properties describe (customizers run after it). */
  static Listener.Builder builder(
      EntityManagerFactory entityManagerFactory,
      DataSource dataSource,
      PgPubSubProperties properties,
      AutowireCapableBeanFactory beanFactory,
      Environment environment) {
    SessionFactory sessionFactory = entityManagerFactory.unwrap(SessionFactory.class);
    PgPubSubProperties.Listener p = properties.getListener();
    Listener.Builder b = HibernatePubSub.listener(sessionFactory, dataSource);
    if (p.getJdbcUrl() != null) {
      b.dataSource(null).jdbcUrl(p.getJdbcUrl());
    }
    String user = p.getUser() != null ? p.getUser() : environment.getProperty("spring.datasource.username");
    String password =
        p.getPassword() != null ? p.getPassword() : environment.getProperty("spring.datasource.password");
    b.user(user).password(password);
    if (p.getListenUrl() != null) {
      b.listenUrl(p.getListenUrl());
    }
    if (p.getTransport() == Transport.WAL) {
      // the replication connection cannot come from a pool: without listen-url or jdbc-url it is opened to
      // spring.datasource.url (a direct URL unless the application goes through a pooler; then set listen-url)
      String url = environment.getProperty("spring.datasource.url");
      if (p.getListenUrl() == null && p.getJdbcUrl() == null && url != null && url.startsWith("jdbc:postgresql:")) {
        b.listenUrl(url);
      }
      b.transport(Transport.WAL).walSlot(p.getWalSlot());
    }
    String name = p.getName() != null ? p.getName() : environment.getProperty("spring.application.name");
    if (name != null) {
      b.name(name);
    }
    if (!p.getChannels().isEmpty()) {
      b.channels(p.getChannels());
    }
    if (properties.getSchema() != null) {
      b.schema(properties.getSchema());
    }
    PgPubSubProperties.Retry r = p.getRetry();
    b.workers(p.getWorkers())
        .batchSize(p.getBatchSize())
        .pollInterval(p.getPollInterval())
        .recoverOnStart(p.isRecoverOnStart())
        .payloadFilter(p.getPayloadFilter())
        .gracePeriod(p.getGracePeriod())
        .callbackTimeout(p.getCallbackTimeout())
        .installSchema(p.isInstallSchema())
        .retryPolicy(RetryPolicy.exponential(r.getMaxAttempts(), r.getInitialDelay(), r.getMaxDelay()))
        .reconnectDelay(p.getReconnect().getInitialDelay(), p.getReconnect().getMaxDelay())
        .transactionResources(
            new SpringTransactionResources(
                HibernatePubSub.transactionResources(sessionFactory),
                entityManagerFactory,
                p.getJdbcUrl() == null ? dataSource : null))
        .listenerFactory(listenerFactory(beanFactory));
    Object meterRegistry = meterRegistry(beanFactory);
    if (meterRegistry != null) {
      b.meterRegistry(meterRegistry);
    }
    return b;
  }

  /**
   * Listener instances: the application's bean of that class when there is exactly one, else a new instance
   * created by the application context (constructor injection, {@code @Value}, AOP), no annotation needed.
   */
  static Function<Class<?>, Object> listenerFactory(AutowireCapableBeanFactory beanFactory) {
    return type -> {
      Object bean = beanFactory.getBeanProvider(type).getIfUnique();
      return bean != null ? bean : beanFactory.createBean(type);
    };
  }

  private static Object meterRegistry(AutowireCapableBeanFactory beanFactory) {
    try {
      Class<?> type = Class.forName("io.micrometer.core.instrument.MeterRegistry", false,
          PgPubSubAutoConfiguration.class.getClassLoader());
      return beanFactory.getBeanProvider(type).getIfUnique();
    } catch (ClassNotFoundException e) {
      return null;
    }
  }
}
