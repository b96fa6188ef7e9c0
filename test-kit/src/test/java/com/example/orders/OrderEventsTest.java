package com.example.orders;

import static io.pgpubsub.test.PubSubTesting.assertDeadLetter;
import static io.pgpubsub.test.PubSubTesting.assertDelivered;
import static io.pgpubsub.test.PubSubTesting.assertNoDeadLetters;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pgpubsub.DrainResult;
import io.pgpubsub.Listener;
import io.pgpubsub.test.PubSubTest;
import io.pgpubsub.test.PubSubTesting;
import io.pgpubsub.testing.TestDatabase;
import java.time.Duration;
import org.hibernate.SessionFactory;
import org.hibernate.jpa.HibernatePersistenceConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@PubSubTest
@Timeout(120)
class OrderEventsTest {

  @Test
  void everyOrderIsShippedOnceAndAnOrderWithoutItemIsDead(TestDatabase db) {
    try (SessionFactory sf =
            new HibernatePersistenceConfiguration("orders")
                .managedClasses(PurchaseOrder.class, Shipment.class)
                .properties(PubSubTesting.hibernateSettings(db))
                .createEntityManagerFactory();
        Listener listener = PubSubTesting.listener(sf).build().start()) {

      sf.inTransaction(s -> {
        s.persist(new PurchaseOrder(1, "books"));
        s.persist(new PurchaseOrder(2, "tea"));
      });
      assertDelivered(2, listener.drain(Duration.ofSeconds(30)));
      assertNoDeadLetters(listener);
      long shipments = sf.fromTransaction(s -> s.createSelectionQuery("select count(*) from Shipment", Long.class).getSingleResult());
      assertEquals(2, shipments);

      sf.inTransaction(s -> s.persist(new PurchaseOrder(3, " ")));
      DrainResult drained = listener.drain(Duration.ofSeconds(30));
      assertEquals(new DrainResult(0, 3, 1), drained); // three attempts, then dead
      assertDeadLetter(listener, "purchase_order", "order 3 has no item");
    }
  }
}
