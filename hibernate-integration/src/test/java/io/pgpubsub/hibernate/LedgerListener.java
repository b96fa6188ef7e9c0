package io.pgpubsub.hibernate;

import io.pgpubsub.Delivery;
import io.pgpubsub.PostInsertListener;
import io.pgpubsub.hibernate.model.Ledger;
import jakarta.persistence.EntityManager;
import jakarta.persistence.PersistenceException;
import org.hibernate.Session;

/**
 * Callbacks as an application might write them when it does not know (or forgets) that the Session it gets
 * shares the listener's transaction: each one records its work, then does what the row's action says.
 */
public class LedgerListener {

  @PostInsertListener
  public void inserted(Ledger current, Session session, EntityManager entityManager, Delivery delivery) {
    session
        .createNativeMutationQuery("insert into ledger_effect(id, attempt) values (:id, :attempt)")
        .setParameter("id", current.id)
        .setParameter("attempt", delivery.attempt())
        .executeUpdate();
    switch (current.action) {
      case "ok" -> {}
      case "commit" -> session.getTransaction().commit();
      case "rollback" -> session.getTransaction().rollback();
      case "begin" -> session.getTransaction().begin();
      case "setRollbackOnly" -> session.getTransaction().setRollbackOnly();
      case "beginTransaction" -> session.beginTransaction().commit();
      case "close" -> session.close();
      case "em-begin" -> {
        entityManager.getTransaction().begin();
        entityManager.persist(new Ledger(current.id + 1000, "ok"));
        entityManager.getTransaction().commit();
      }
      case "em-commit" -> entityManager.getTransaction().commit();
      case "unwrap-commit" -> entityManager.unwrap(Session.class).getTransaction().commit();
      case "work-autocommit" -> session.doWork(c -> c.setAutoCommit(true));
      case "work-commit" -> session.doWork(c -> c.commit());
      case "work-rollback" -> session.doReturningWork(c -> {
        c.rollback();
        return 1;
      });
      case "duplicate" -> {
        try {
          session.persist(new Ledger(1L, "a second row with the id of the first"));
          session.flush();
        } catch (PersistenceException e) {
          // "it exists already, never mind": the careless part
        }
      }
      default -> throw new IllegalArgumentException(current.action);
    }
  }
}
