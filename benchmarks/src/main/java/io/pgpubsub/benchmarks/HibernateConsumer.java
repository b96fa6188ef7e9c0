package io.pgpubsub.benchmarks;

import io.pgpubsub.Listener;
import io.pgpubsub.hibernate.HibernatePubSub;
import io.pgpubsub.hibernate.PubSubSettings;
import jakarta.persistence.EntityManagerFactory;
import org.hibernate.SessionFactory;
import org.hibernate.jpa.HibernatePersistenceConfiguration;

/**
 * The library as a Hibernate application uses it: a SessionFactory that maps {@link BenchEvent} (booted, and
 * the schema validated, before the clock starts), and {@code HibernatePubSub.listener(sessionFactory)}, so that
 * rows are decoded through Hibernate's mapping and callbacks could ask for a Session.
 */
final class HibernateConsumer implements Consumer {

  private final SessionFactory sessionFactory;
  private final Listener listener;

  HibernateConsumer(String jdbcUrl, Recorder recorder, int workers, int batchSize) {
    EntityManagerFactory emf =
        new HibernatePersistenceConfiguration("bench")
            .managedClasses(BenchEvent.class)
            .jdbcUrl(jdbcUrl)
            .property("hibernate.hbm2ddl.auto", "none")
            .property(PubSubSettings.SCHEMA_MANAGEMENT, "validate")
            .property("hibernate.connection.pool_size", "2")
            .createEntityManagerFactory();
    this.sessionFactory = emf.unwrap(SessionFactory.class);
    BenchListeners callbacks = new BenchListeners(recorder);
    this.listener =
        HibernatePubSub.listener(sessionFactory)
            .name("bench")
            .channels(BenchEvent.CHANNEL)
            .workers(workers)
            .batchSize(batchSize)
            .listenerFactory(type -> callbacks)
            .build();
  }

  @Override
  public void start() {
    listener.start();
  }

  @Override
  public void close() {
    listener.close();
    sessionFactory.close();
  }
}
