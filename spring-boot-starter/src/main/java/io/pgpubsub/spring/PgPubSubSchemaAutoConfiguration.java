package io.pgpubsub.spring;

import org.flywaydb.core.api.migration.JavaMigration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnResource;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.hibernate.autoconfigure.HibernatePropertiesCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Schema side, before Hibernate boots: the install script as a repeatable Flyway migration, and the
 * {@code pgpubsub.schema}/{@code pgpubsub.schema-management} properties passed to the Hibernate integration.
 */
@AutoConfiguration(
    beforeName = {
      "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
      "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration"
    })
@EnableConfigurationProperties(PgPubSubProperties.class)
public class PgPubSubSchemaAutoConfiguration {

  static final String INSTALL_SCRIPT = "META-INF/pgpubsub.sql";

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass({JavaMigration.class, org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration.class})
  @ConditionalOnResource(resources = "classpath:" + INSTALL_SCRIPT)
  @ConditionalOnBooleanProperty(name = "pgpubsub.flyway.enabled", matchIfMissing = true)
  @ConditionalOnBooleanProperty(name = "spring.flyway.enabled", matchIfMissing = true)
  static class FlywayMigration {
    @Bean
    PgPubSubFlywayMigration pgPubSubFlywayMigration() {
      return new PgPubSubFlywayMigration(INSTALL_SCRIPT, PgPubSubFlywayMigration.class.getClassLoader());
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HibernatePropertiesCustomizer.class)
  static class HibernateSettings {
    @Bean
    HibernatePropertiesCustomizer pgPubSubHibernateProperties(
        PgPubSubProperties properties, ObjectProvider<PgPubSubFlywayMigration> migration) {
      return settings -> {
        if (properties.getSchema() != null) {
          settings.put("hibernate.pgpubsub.schema", properties.getSchema());
        }
        if (properties.getSchemaManagement() != null) {
          settings.put("hibernate.pgpubsub.schema_management", properties.getSchemaManagement());
        } else if (migration.getIfAvailable() != null) {
          // Flyway owns the schema: check it at boot, change nothing (unless the application says otherwise)
          settings.putIfAbsent("hibernate.pgpubsub.schema_management", "validate");
        }
      };
    }
  }
}
