package io.pgpubsub.spring;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnResource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.hibernate.autoconfigure.HibernatePropertiesCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Schema side, before Hibernate boots: the install script as a repeatable Flyway migration, and the
 * {@code pgpubsub.schema}/{@code pgpubsub.schema-management} properties passed to the Hibernate integration.
 *
 * <p>Flyway and Liquibase are optional. Only the nested class guarded by {@code @ConditionalOnClass} names a
 * Flyway type (in its bean methods' signatures too): Spring introspects a configuration class's method
 * signatures, so a Flyway type named anywhere else fails every application without Flyway with a {@code
 * NoClassDefFoundError} (issue 22). {@code StarterContractTest} boots each configuration with Flyway hidden.
 * Liquibase needs no code: the starter ships a changelog the application includes (see the README).
 */
@AutoConfiguration(
    beforeName = {
      "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
      "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"
    })
@EnableConfigurationProperties(PgPubSubProperties.class)
public class PgPubSubSchemaAutoConfiguration {

  static final String INSTALL_SCRIPT = "META-INF/pgpubsub.sql";

  static final String SCHEMA_SETTING = "hibernate.pgpubsub.schema";
  static final String SCHEMA_MANAGEMENT_SETTING = "hibernate.pgpubsub.schema_management";
  static final String TRANSPORT_SETTING = "hibernate.pgpubsub.transport";

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = {
        "org.flywaydb.core.api.migration.JavaMigration",
        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"
      })
  @ConditionalOnResource(resources = "classpath:" + INSTALL_SCRIPT)
  @ConditionalOnBooleanProperty(name = "pgpubsub.flyway.enabled", matchIfMissing = true)
  @ConditionalOnBooleanProperty(name = "spring.flyway.enabled", matchIfMissing = true)
  static class FlywayMigration {
    @Bean
    PgPubSubFlywayMigration pgPubSubFlywayMigration() {
      return new PgPubSubFlywayMigration(INSTALL_SCRIPT, PgPubSubFlywayMigration.class.getClassLoader());
    }

    /**
     * Flyway owns the schema: Hibernate checks it at boot and changes nothing. Runs first, and only fills in
     * what is absent, so {@code pgpubsub.schema-management} and {@code
     * spring.jpa.properties.hibernate.pgpubsub.schema_management} still win.
     */
    @Bean
    @ConditionalOnClass(HibernatePropertiesCustomizer.class)
    HibernatePropertiesCustomizer pgPubSubFlywayValidates() {
      return new OrderedCustomizer(Ordered.HIGHEST_PRECEDENCE) {
        @Override
        public void customize(java.util.Map<String, Object> settings) {
          settings.putIfAbsent(SCHEMA_MANAGEMENT_SETTING, "validate");
        }
      };
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HibernatePropertiesCustomizer.class)
  static class HibernateSettings {
    /** The application's explicit properties: after the Flyway default, so they override it. */
    @Bean
    HibernatePropertiesCustomizer pgPubSubHibernateProperties(PgPubSubProperties properties) {
      return new OrderedCustomizer(Ordered.LOWEST_PRECEDENCE) {
        @Override
        public void customize(java.util.Map<String, Object> settings) {
          if (properties.getSchema() != null) {
            settings.put(SCHEMA_SETTING, properties.getSchema());
          }
          if (properties.getSchemaManagement() != null) {
            settings.put(SCHEMA_MANAGEMENT_SETTING, properties.getSchemaManagement().name().toLowerCase());
          }
          if (properties.getListener().getTransport() == io.pgpubsub.Transport.WAL) {
            // Hibernate's boot installs and validates the WAL form of the triggers (never puts the table form back)
            settings.putIfAbsent(TRANSPORT_SETTING, "wal");
          }
        }
      };
    }
  }

  /** Boot applies HibernatePropertiesCustomizers in {@link Ordered} order. */
  abstract static class OrderedCustomizer implements HibernatePropertiesCustomizer, Ordered {
    private final int order;

    OrderedCustomizer(int order) {
      this.order = order;
    }

    @Override
    public int getOrder() {
      return order;
    }
  }
}
