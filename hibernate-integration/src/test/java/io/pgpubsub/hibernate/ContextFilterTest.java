package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.Listener;
import io.pgpubsub.hibernate.Recorder.Event;
import io.pgpubsub.hibernate.model.AuditEntry;
import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.time.Duration;
import java.util.Map;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Per-tenant workers: each listener claims only the notifications whose context names its tenant. */
@PostgresTest
@Timeout(120)
class ContextFilterTest {

  @Test
  void eachTenantsWorkerSeesOnlyItsOwnNotifications(TestDatabase db) throws Exception {
    assertThat(HibernatePubSub.contextFilter(Map.of("tenant", "acme"))).isEqualTo("{\"context\":{\"tenant\":\"acme\"}}");
    Recorder acme = new Recorder();
    Recorder globex = new Recorder();
    try (SessionFactory sf = TestHibernate.build(db, Map.of(), Author.class, AuditEntry.class);
        Listener a =
            HibernatePubSub.listener(sf)
                .name("acme")
                .listenerFactory(t -> acme)
                .pollInterval(Duration.ofMillis(200))
                .payloadFilter(HibernatePubSub.contextFilter(Map.of("tenant", "acme")))
                .build()
                .start();
        Listener g =
            HibernatePubSub.listener(sf)
                .name("globex")
                .listenerFactory(t -> globex)
                .pollInterval(Duration.ofMillis(200))
                .payloadFilter(HibernatePubSub.contextFilter(Map.of("tenant", "globex")))
                .build()
                .start()) {
      for (long id = 1; id <= 6; id++) {
        long i = id;
        sf.inTransaction(
            s -> {
              HibernatePubSub.setContext(s, Map.of("tenant", i % 2 == 0 ? "acme" : "globex"));
              s.persist(new Author(i, "author " + i));
            });
      }
      for (long id = 1; id <= 6; id++) {
        long i = id;
        Recorder expected = i % 2 == 0 ? acme : globex;
        Event e = expected.await(ev -> ((Author) ev.current()).id == i, Duration.ofSeconds(30));
        assertThat(e.delivery().context()).containsEntry("tenant", i % 2 == 0 ? "acme" : "globex");
      }
      // and nothing crossed over
      assertThatThrownBy(() -> acme.await(ev -> ((Author) ev.current()).id % 2 == 1, Duration.ofMillis(300)))
          .isInstanceOf(AssertionError.class);
      assertThatThrownBy(() -> globex.await(ev -> ((Author) ev.current()).id % 2 == 0, Duration.ofMillis(300)))
          .isInstanceOf(AssertionError.class);

      // the context needs a transaction: outside one it would vanish at once
      try (Session s = sf.openSession()) {
        assertThatThrownBy(() -> HibernatePubSub.setContext(s, Map.of("tenant", "acme")))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("active transaction");
      }
    }
  }
}
