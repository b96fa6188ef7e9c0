package io.pgpubsub.hibernate;

import io.pgpubsub.Delivery;
import io.pgpubsub.PostDeleteListener;
import io.pgpubsub.PostInsertListener;
import io.pgpubsub.PostSaveListener;
import io.pgpubsub.PostUpdateListener;
import io.pgpubsub.hibernate.model.Article;
import io.pgpubsub.hibernate.model.AuditEntry;
import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.hibernate.model.Dog;
import io.pgpubsub.hibernate.model.OrderLine;
import io.pgpubsub.hibernate.model.Shipment;
import io.pgpubsub.hibernate.model.Vehicle;
import jakarta.persistence.EntityManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.hibernate.Session;

/** Listener methods of the end-to-end tests; the test hands the runtime one instance. */
public class Recorder {

  /** One callback invocation. */
  public record Event(String method, Object old, Object current, Delivery delivery) {}

  private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
  private final List<Event> seen = new ArrayList<>();

  /** Waits (with a deadline) for the first event matching {@code p} that has not been taken yet. */
  public synchronized Event await(Predicate<Event> p, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Event e : seen) {
        if (p.test(e)) {
          seen.remove(e);
          return e;
        }
      }
      long left = deadline - System.nanoTime();
      Event e = left <= 0 ? null : events.poll(left, TimeUnit.NANOSECONDS);
      if (e == null) {
        throw new AssertionError("no matching event within " + timeout + "; seen: " + seen);
      }
      seen.add(e);
    }
  }

  @PostInsertListener
  public void articleInserted(Article current, Delivery delivery) {
    events.add(new Event("articleInserted", null, current, delivery));
  }

  @PostUpdateListener
  public void articleUpdated(Article old, Article current, Delivery delivery) {
    events.add(new Event("articleUpdated", old, current, delivery));
  }

  @PostDeleteListener
  public void articleDeleted(Article old, Delivery delivery) {
    events.add(new Event("articleDeleted", old, null, delivery));
  }

  @PostSaveListener
  public void orderLineSaved(OrderLine old, OrderLine current, Delivery delivery) {
    events.add(new Event("orderLineSaved", old, current, delivery));
  }

  @PostSaveListener
  public void shipmentSaved(Shipment old, Shipment current, Delivery delivery) {
    events.add(new Event("shipmentSaved", old, current, delivery));
  }

  @PostSaveListener
  public void vehicleSaved(Vehicle old, Vehicle current, Delivery delivery) {
    events.add(new Event("vehicleSaved", old, current, delivery));
  }

  @PostDeleteListener
  public void vehicleDeleted(Vehicle old, Delivery delivery) {
    events.add(new Event("vehicleDeleted", old, null, delivery));
  }

  @PostSaveListener
  public void dogSaved(Dog old, Dog current, Delivery delivery) {
    events.add(new Event("dogSaved", old, current, delivery));
  }

  /**
   * Writes an audit entry through the Session that shares the processing transaction, then fails for
   * authors named "fail...": neither the entry nor the removal of the notification may then survive.
   */
  @PostSaveListener
  public void authorSaved(Author current, Session session, EntityManager entityManager, Delivery delivery) {
    if (session != entityManager) {
      throw new AssertionError("Session and EntityManager must be the same object");
    }
    session.persist(new AuditEntry(delivery.id(), "saw author " + current.name));
    // a query in the callback sees its own write (AUTO flush, same transaction)
    long own =
        session
            .createSelectionQuery("select count(*) from AuditEntry where notificationId = :id", Long.class)
            .setParameter("id", delivery.id())
            .getSingleResult();
    events.add(new Event("authorSaved", null, current, delivery));
    if (own != 1) {
      throw new AssertionError("the callback does not see its own write");
    }
    if (current.name.startsWith("fail")) {
      throw new IllegalStateException("callback failure for " + current.name);
    }
  }
}
