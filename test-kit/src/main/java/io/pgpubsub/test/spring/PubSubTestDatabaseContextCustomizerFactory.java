package io.pgpubsub.test.spring;

import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.test.context.ContextConfigurationAttributes;
import org.springframework.test.context.ContextCustomizer;
import org.springframework.test.context.ContextCustomizerFactory;
import org.springframework.test.context.MergedContextConfiguration;
import org.springframework.test.context.TestContextAnnotationUtils;

/**
 * Implements {@link PubSubTestDatabase}; registered in {@code META-INF/spring.factories}, so Spring's test
 * framework finds it by itself. Not for direct use.
 */
public final class PubSubTestDatabaseContextCustomizerFactory implements ContextCustomizerFactory {

  @Override
  public ContextCustomizer createContextCustomizer(
      Class<?> testClass, List<ContextConfigurationAttributes> configAttributes) {
    return TestContextAnnotationUtils.hasAnnotation(testClass, PubSubTestDatabase.class)
        ? new DatabaseCustomizer()
        : null;
  }

  /** One per annotated test class; all equal, so that Spring caches one context for identical configurations. */
  static final class DatabaseCustomizer implements ContextCustomizer {

    static final String BEAN = "pgpubsubTestDatabase";

    @Override
    public void customizeContext(ConfigurableApplicationContext context, MergedContextConfiguration config) {
      TestDatabase db = PostgresServer.get().createDatabase("spring");
      Map<String, Object> properties = new LinkedHashMap<>();
      properties.put("spring.datasource.url", db.jdbcUrl());
      if (db.user() != null) {
        properties.put("spring.datasource.username", db.user());
      }
      if (db.password() != null) {
        properties.put("spring.datasource.password", db.password());
      }
      context.getEnvironment().getPropertySources().addFirst(new MapPropertySource(BEAN, properties));

      // Dropped when the context closes, after every bean that uses it: Spring destroys disposable beans in the
      // reverse order of their registration, and this one is registered before the context creates any bean.
      AutoCloseable closeContext = context::close;
      ConfigurableListableBeanFactory beans = context.getBeanFactory();
      beans.registerSingleton(BEAN, db);
      ((DefaultListableBeanFactory) beans)
          .registerDisposableBean(
              BEAN,
              () -> {
                PostgresServer.closedBeforeStop(closeContext);
                db.close();
              });
      // A context Spring still caches when the JVM exits closes before the server stops.
      PostgresServer.closeBeforeStop(closeContext);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof DatabaseCustomizer;
    }

    @Override
    public int hashCode() {
      return DatabaseCustomizer.class.hashCode();
    }
  }
}
