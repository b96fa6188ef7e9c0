package io.pgpubsub.spring.internal;

import io.pgpubsub.spi.TransactionResources;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.EntityTransaction;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.orm.jpa.EntityManagerHolder;
import org.springframework.util.ClassUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs each notification's callbacks with the worker's transaction bound as Spring's transaction resource,
 * the way {@code JpaTransactionManager} binds its own: an {@link EntityManagerHolder} for the
 * EntityManagerFactory (the Session the Hibernate integration opens on the worker's connection) and a {@link
 * ConnectionHolder} for the DataSource (that connection, as the runtime hands it to resources: guarded). So Spring Data repositories,
 * {@code @Transactional(REQUIRED)} services, {@code JdbcTemplate} and an injected {@code EntityManager} join
 * the transaction that claims and removes the notification; {@code REQUIRES_NEW} suspends these resources
 * and runs on a connection of its own, as Spring defines it.
 *
 * <p>The transaction stays the listener's: the bound connection refuses commit, rollback and auto-commit
 * changes; a participant that marks it rollback-only (a {@code @Transactional} method that threw, {@code
 * TransactionStatus.setRollbackOnly()}) fails the notification, so its work is rolled back and it is retried
 * per the retry policy. Transaction synchronizations registered by callbacks cannot run after the batch's
 * commit, which the listener owns, so registering one fails the notification with a message that says so.
 */
public final class SpringTransactionResources implements TransactionResources {

  private final TransactionResources hibernate;
  private final EntityManagerFactory entityManagerFactory;
  private final DataSource dataSource;

  /**
   * @param hibernate the Hibernate integration's resources (Session on the worker's connection)
   * @param entityManagerFactory the application's EntityManagerFactory bean (the key JpaTransactionManager and
   *     shared EntityManagers look up)
   * @param dataSource the application's DataSource bean (the key DataSourceUtils/JdbcTemplate look up); null
   *     when the listener's connections do not come from it
   */
  public SpringTransactionResources(
      TransactionResources hibernate, EntityManagerFactory entityManagerFactory, DataSource dataSource) {
    this.hibernate = hibernate;
    this.entityManagerFactory = entityManagerFactory;
    this.dataSource = dataSource;
  }

  @Override
  public Scope open(Connection connection) {
    if (TransactionSynchronizationManager.isSynchronizationActive()
        || TransactionSynchronizationManager.hasResource(entityManagerFactory)) {
      throw new IllegalStateException(
          "pgpubsub: a Spring transaction is already bound to listener thread "
              + Thread.currentThread().getName());
    }
    Scope session = hibernate.open(connection);
    SpringScope scope = new SpringScope(session, entityManagerFactory, dataSource);
    try {
      scope.bind(connection);
    } catch (RuntimeException e) {
      scope.close();
      throw e;
    }
    return scope;
  }

  private static final class SpringScope implements Scope {
    private final Scope session;
    private final EntityManagerFactory emf;
    private final DataSource dataSource;
    private BoundEntityManagerHolder emHolder;
    private BoundConnectionHolder connectionHolder;

    SpringScope(Scope session, EntityManagerFactory emf, DataSource dataSource) {
      this.session = session;
      this.emf = emf;
      this.dataSource = dataSource;
    }

    /** Set by a participant's {@code EntityTransaction.setRollbackOnly()} (JpaTransactionManager's rollback). */
    private boolean rollbackOnly;

    void bind(Connection connection) {
      EntityManager em = rollbackAware(session.get(EntityManager.class));
      emHolder = new BoundEntityManagerHolder(em);
      TransactionSynchronizationManager.bindResource(emf, emHolder);
      if (dataSource != null) {
        connectionHolder = new BoundConnectionHolder(connection); // the runtime's guarded connection
        TransactionSynchronizationManager.bindResource(dataSource, connectionHolder);
      }
      TransactionSynchronizationManager.initSynchronization();
      TransactionSynchronizationManager.setActualTransactionActive(true);
      TransactionSynchronizationManager.setCurrentTransactionName("pgpubsub listener");
    }

    @Override
    public <T> T get(Class<T> type) {
      return session.get(type);
    }

    /**
     * The EntityManager Spring sees: the Session, except that its {@code getTransaction()} answers {@code
     * setRollbackOnly()} (what JpaTransactionManager calls when a participating {@code @Transactional} method
     * fails) by marking this notification failed, and {@code getRollbackOnly()} from that mark. Everything else,
     * commit and rollback included, goes to the Session, which refuses transaction control.
     */
    private EntityManager rollbackAware(EntityManager em) {
      return (EntityManager)
          Proxy.newProxyInstance(
              SpringTransactionResources.class.getClassLoader(),
              ClassUtils.getAllInterfaces(em),
              (proxy, method, args) -> {
                switch (method.getName()) {
                  case "getTransaction":
                    if (args == null) {
                      return rollbackAware((EntityTransaction) invoke(em, method, null));
                    }
                    break;
                  case "equals":
                    return proxy == args[0];
                  case "hashCode":
                    return System.identityHashCode(proxy);
                  default:
                    break;
                }
                return invoke(em, method, args);
              });
    }

    private EntityTransaction rollbackAware(EntityTransaction tx) {
      return (EntityTransaction)
          Proxy.newProxyInstance(
              SpringTransactionResources.class.getClassLoader(),
              ClassUtils.getAllInterfaces(tx),
              (proxy, method, args) -> {
                switch (method.getName()) {
                  case "setRollbackOnly":
                    if (args == null) {
                      rollbackOnly = true;
                      return null;
                    }
                    break;
                  case "getRollbackOnly":
                    if (args == null) {
                      return rollbackOnly;
                    }
                    break;
                  case "equals":
                    return proxy == args[0];
                  case "hashCode":
                    return System.identityHashCode(proxy);
                  default:
                    break;
                }
                return invoke(tx, method, args);
              });
    }

    @Override
    public void beforeCompletion() throws Exception {
      if (rollbackOnly
          || (connectionHolder != null && connectionHolder.isRollbackOnly())
          || emHolder.isRollbackOnly()) {
        throw new IllegalStateException(
            "pgpubsub: the callback's Spring transaction was marked rollback-only (a @Transactional method"
                + " that threw, or TransactionStatus.setRollbackOnly()); its work is rolled back with the"
                + " notification's removal, and the notification is retried per the retry policy");
      }
      List<TransactionSynchronization> registered =
          TransactionSynchronizationManager.isSynchronizationActive()
              ? TransactionSynchronizationManager.getSynchronizations()
              : List.of();
      if (!registered.isEmpty()) {
        throw new IllegalStateException(
            "pgpubsub: a callback registered a Spring transaction synchronization ("
                + registered.get(0).getClass().getName()
                + ", e.g. from a @TransactionalEventListener); it cannot run after the listener's commit."
                + " Publish such events from a REQUIRES_NEW transaction, or do the work in the callback");
      }
      session.beforeCompletion();
    }

    @Override
    public void close() {
      try {
        TransactionSynchronizationManager.unbindResourceIfPossible(emf);
        if (dataSource != null) {
          TransactionSynchronizationManager.unbindResourceIfPossible(dataSource);
        }
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
          TransactionSynchronizationManager.clearSynchronization();
        }
        TransactionSynchronizationManager.setActualTransactionActive(false);
        TransactionSynchronizationManager.setCurrentTransactionName(null);
        TransactionSynchronizationManager.setCurrentTransactionReadOnly(false);
        TransactionSynchronizationManager.setCurrentTransactionIsolationLevel(null);
      } finally {
        session.close();
      }
    }
  }

  /** An EntityManagerHolder that JpaTransactionManager sees as an active transaction to join. */
  private static final class BoundEntityManagerHolder extends EntityManagerHolder {
    BoundEntityManagerHolder(EntityManager em) {
      super(em);
      setTransactionActive(true);
      setSynchronizedWithTransaction(true);
    }
  }

  /** A ConnectionHolder that DataSourceTransactionManager sees as an active transaction to join. */
  private static final class BoundConnectionHolder extends ConnectionHolder {
    BoundConnectionHolder(Connection connection) {
      super(connection, true);
      setSynchronizedWithTransaction(true);
    }
  }

  private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
