package io.pgpubsub.spring;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * Relays of ordered channels to Kafka, RabbitMQ or NATS JetStream, from {@code pgpubsub.relay.<name>.*} (see
 * docs/relays.md): on the application's DataSource and {@code pgpubsub.schema}, connected to the brokers by
 * Boot's {@code spring.kafka.*} and {@code spring.rabbitmq.*} properties and {@code pgpubsub.nats.url}. Nothing
 * is created without a {@code pgpubsub.relay.*} property, and then no relay library is needed; a relay whose
 * broker library is missing fails the start naming its property and the artifact to add.
 */
@AutoConfiguration(
    after = PgPubSubAutoConfiguration.class,
    afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@Conditional(PgPubSubRelayAutoConfiguration.OnRelays.class)
@ConditionalOnBean(DataSource.class)
@EnableConfigurationProperties(PgPubSubProperties.class)
public class PgPubSubRelayAutoConfiguration {

  static final String BEAN = "pubSubRelaysLifecycle";

  /** After the database initializers (Flyway, Liquibase): a relay checks the notification table when it starts. */
  @Bean(name = BEAN)
  @ConditionalOnMissingBean
  @DependsOnDatabaseInitialization
  public PubSubRelaysLifecycle pubSubRelaysLifecycle(
      DataSource dataSource,
      PgPubSubProperties properties,
      Environment environment,
      ConfigurableListableBeanFactory beanFactory) {
    checkLibraries(properties, beanFactory.getBeanClassLoader());
    // start after the listener, stop before it
    for (String listener : beanFactory.getBeanNamesForType(PubSubListenerLifecycle.class, false, false)) {
      beanFactory.registerDependentBean(listener, BEAN);
    }
    return new PubSubRelaysLifecycle(() -> PgPubSubRelays.start(properties, dataSource, environment));
  }

  /** What a broker needs on the class path: a class of each artifact. */
  private static final Map<PgPubSubProperties.Broker, String[][]> LIBRARIES = Map.of(
      PgPubSubProperties.Broker.KAFKA, new String[][] {
          {"io.pgpubsub.relay.Relay", "io.pgpubsub:pgpubsub-relay-kafka"},
          {"io.pgpubsub.relay.kafka.KafkaRelayPublisher", "io.pgpubsub:pgpubsub-relay-kafka"},
          {"org.apache.kafka.clients.producer.KafkaProducer", "org.apache.kafka:kafka-clients"}},
      PgPubSubProperties.Broker.RABBITMQ, new String[][] {
          {"io.pgpubsub.relay.Relay", "io.pgpubsub:pgpubsub-relay-rabbitmq"},
          {"io.pgpubsub.relay.rabbitmq.RabbitRelayPublisher", "io.pgpubsub:pgpubsub-relay-rabbitmq"},
          {"com.rabbitmq.client.ConnectionFactory", "com.rabbitmq:amqp-client"}},
      PgPubSubProperties.Broker.NATS, new String[][] {
          {"io.pgpubsub.relay.Relay", "io.pgpubsub:pgpubsub-relay-nats"},
          {"io.pgpubsub.relay.nats.NatsRelayPublisher", "io.pgpubsub:pgpubsub-relay-nats"},
          {"io.nats.client.Nats", "io.nats:jnats"}});

  /**
   * Fails naming the relay's property and the missing artifact when a relay's broker library is not on the
   * application's class path (checked when the relays' bean is created, before anything connects).
   */
  static void checkLibraries(PgPubSubProperties properties, ClassLoader classLoader) {
    List<String> missing = new ArrayList<>();
    properties.getRelay().forEach((name, r) -> {
      if (!r.isEnabled() || r.getBroker() == null) {
        return;
      }
      for (String[] library : LIBRARIES.get(r.getBroker())) {
        if (!ClassUtils.isPresent(library[0], classLoader)) {
          missing.add("pgpubsub.relay." + name + ".broker=" + r.getBroker().name().toLowerCase()
              + " needs " + library[1] + " on the class path");
          return;
        }
      }
    });
    if (!missing.isEmpty()) {
      throw new IllegalStateException(String.join("; ", missing));
    }
  }

  /** Some {@code pgpubsub.relay.*} property is set. */
  static class OnRelays extends SpringBootCondition {
    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
      Map<String, String> relays = Binder.get(context.getEnvironment())
          .bind("pgpubsub.relay", Bindable.mapOf(String.class, String.class))
          .orElse(Map.of());
      return relays.isEmpty()
          ? ConditionOutcome.noMatch("no pgpubsub.relay.* property")
          : ConditionOutcome.match("pgpubsub.relay.* properties " + relays.keySet());
    }
  }
}
