package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.testing.JavaSources;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application whose {@code @TriggerChannel} entity was compiled without pgpubsub-processor (it is missing
 * from annotationProcessorPaths): boot and the listener say so and show the fix, instead of starting without
 * any trigger.
 */
@PostgresTest
class MissingProcessorTest {

  static final String ENTITY =
      """
      package app.nop;

      import io.pgpubsub.TriggerChannel;
      import jakarta.persistence.Entity;
      import jakarta.persistence.Id;

      @Entity
      @TriggerChannel
      public class Parcel {
        @Id public Long id;
        public String label;
      }
      """;

  @Test
  void bootAndListenerNameTheMissingProcessorAndShowTheFix(TestDatabase db, @TempDir Path dir) throws Exception {
    Path classes = JavaSources.compile(dir, Map.of("app.nop.Parcel", ENTITY), "-proc:none");
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader app = new URLClassLoader(new URL[] {classes.toUri().toURL()}, previous)) {
      Thread.currentThread().setContextClassLoader(app);
      Class<?> parcel = app.loadClass("app.nop.Parcel");

      Configuration boot = TestHibernate.configuration(db, parcel);
      assertThatThrownBy(boot::buildSessionFactory)
          .isInstanceOf(PubSubBootException.class)
          .hasMessageContaining("app.nop.Parcel is annotated @TriggerChannel, but no generated channel registry declares it")
          .hasMessageContaining("pgpubsub-processor did not run")
          .hasMessageContaining(
              "<annotationProcessorPaths><path><groupId>io.pgpubsub</groupId><artifactId>pgpubsub-processor</artifactId>");

      Configuration off = TestHibernate.configuration(db, parcel);
      off.setProperty(PubSubSettings.ENABLED, "false");
      try (SessionFactory sf = off.buildSessionFactory()) {
        assertThatThrownBy(() -> HibernatePubSub.listener(sf).build())
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("app.nop.Parcel is annotated @TriggerChannel")
            .hasMessageContaining("annotationProcessorPaths");
      }
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }

  @Test
  void entitiesWithTheirRegistryBootAsBefore(TestDatabase db) {
    try (SessionFactory sf = TestHibernate.configuration(db, io.pgpubsub.hibernate.model.Author.class).buildSessionFactory()) {
      assertThat(sf.isOpen()).isTrue();
    }
  }
}
