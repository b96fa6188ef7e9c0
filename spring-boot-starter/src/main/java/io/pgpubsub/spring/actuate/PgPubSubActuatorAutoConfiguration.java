package io.pgpubsub.spring.actuate;

import io.pgpubsub.spring.PgPubSubAutoConfiguration;
import io.pgpubsub.spring.PgPubSubProperties;
import io.pgpubsub.spring.PubSubListenerLifecycle;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** Actuator: the {@code pgpubsub} health indicator and endpoint. */
@AutoConfiguration(after = PgPubSubAutoConfiguration.class)
@ConditionalOnBean(io.pgpubsub.spring.PubSubContext.class)
public class PgPubSubActuatorAutoConfiguration {

  /** The notification table's schema: pgpubsub.schema, else Hibernate's hibernate.pgpubsub.schema, else public. */
  static String schema(PgPubSubProperties properties, Environment environment) {
    if (properties.getSchema() != null) {
      return properties.getSchema();
    }
    return environment.getProperty("spring.jpa.properties.hibernate.pgpubsub.schema", "public");
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  @ConditionalOnEnabledHealthIndicator("pgpubsub")
  static class Health {
    @Bean
    @ConditionalOnMissingBean(name = "pgpubsubHealthIndicator")
    PgPubSubHealthIndicator pgpubsubHealthIndicator(
        DataSource dataSource,
        PgPubSubProperties properties,
        Environment environment,
        ObjectProvider<PubSubListenerLifecycle> lifecycle) {
      return new PgPubSubHealthIndicator(
          dataSource,
          schema(properties, environment),
          lifecycle.getIfAvailable(),
          properties.getHealth().isDownOnDeadLetters());
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(org.springframework.boot.actuate.endpoint.annotation.Endpoint.class)
  @ConditionalOnAvailableEndpoint(PgPubSubEndpoint.class)
  static class EndpointConfiguration {
    @Bean
    @ConditionalOnMissingBean
    PgPubSubEndpoint pgPubSubEndpoint(
        DataSource dataSource,
        PgPubSubProperties properties,
        Environment environment,
        ObjectProvider<PubSubListenerLifecycle> lifecycle) {
      return new PgPubSubEndpoint(dataSource, schema(properties, environment), lifecycle.getIfAvailable());
    }
  }
}
