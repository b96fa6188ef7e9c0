package io.pgpubsub.hibernate.internal;

import io.pgpubsub.spi.TransactionResources;
import java.sql.Connection;
import org.hibernate.FlushMode;
import org.hibernate.Session;
import org.hibernate.StatelessSession;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.engine.spi.SessionImplementor;
import org.hibernate.engine.spi.SharedSessionContractImplementor;
import org.hibernate.resource.transaction.spi.TransactionStatus;

/**
 * {@link TransactionResources} that hands callbacks a Hibernate {@link Session} (which is also the {@code
 * EntityManager}) or a {@link StatelessSession} opened on the worker's own connection: whatever a callback
 * writes through it commits in the worker's transaction, atomically with the removal of the notification,
 * and rolls back with it.
 *
 * <p>The session is opened lazily (callbacks that do not ask for it cost nothing), flushed in {@link
 * Scope#beforeCompletion()}, and closed without committing or rolling back: the runtime owns the transaction.
 * The Hibernate transaction the session reports as active is a view of the worker's transaction: callbacks
 * get the session through a {@link TransactionGuard} that refuses to commit, roll back, begin or close it
 * (as the worker's guarded connection, which the session runs on, refuses commit and rollback for {@code
 * doWork}).
 */
public final class SessionResources implements TransactionResources {

  private final SessionFactoryImplementor factory;

  public SessionResources(SessionFactoryImplementor factory) {
    this.factory = factory;
  }

  @Override
  public Scope open(Connection connection) {
    return new SessionScope(factory, connection);
  }

  private static final class SessionScope implements Scope {
    private final SessionFactoryImplementor factory;
    private final Connection connection;
    private SessionImplementor session;
    private Object guardedSession;
    private StatelessSession stateless;
    private Object guardedStateless;

    SessionScope(SessionFactoryImplementor factory, Connection connection) {
      this.factory = factory;
      this.connection = connection;
    }

    @Override
    public <T> T get(Class<T> type) {
      if (type == StatelessSession.class) {
        if (stateless == null) {
          stateless = factory.withStatelessOptions().connection(connection).openStatelessSession();
          begin((SharedSessionContractImplementor) stateless);
          guardedStateless = TransactionGuard.guard(stateless, StatelessSession.class, "StatelessSession");
        }
        return type.cast(guardedStateless);
      }
      if (!offers(type)) {
        return null;
      }
      if (session == null) {
        session = factory.withOptions().connection(connection).flushMode(FlushMode.AUTO).openSession();
        begin(session);
        guardedSession = TransactionGuard.guard(session, SessionImplementor.class, "Session");
      }
      return type.cast(guardedSession);
    }

    /** Session, EntityManager and their Hibernate/Jakarta super- and implementor interfaces. */
    private static boolean offers(Class<?> type) {
      String name = type.getName();
      return type.isInterface()
          && (name.startsWith("org.hibernate.") || name.startsWith("jakarta.persistence."))
          && type.isAssignableFrom(SessionImplementor.class);
    }

    /**
     * Marks the session's resource-local transaction as begun. The connection already is in the worker's
     * transaction (auto-commit off), so this issues no SQL; it lets the session flush and run queries as in
     * any transaction.
     */
    private static void begin(SharedSessionContractImplementor s) {
      if (s.getTransaction().getStatus() != TransactionStatus.ACTIVE) {
        s.getTransaction().begin();
      }
    }

    @Override
    public void beforeCompletion() {
      if (session != null && session.isOpen()) {
        session.flush();
      }
    }

    @Override
    public void close() {
      RuntimeException failure = null;
      for (AutoCloseable c : new AutoCloseable[] {session, stateless}) {
        if (c == null) {
          continue;
        }
        try {
          close(c);
        } catch (RuntimeException e) {
          if (failure == null) {
            failure = e;
          } else {
            failure.addSuppressed(e);
          }
        }
      }
      session = null;
      stateless = null;
      guardedSession = null;
      guardedStateless = null;
      if (failure != null) {
        throw failure;
      }
    }

    private static void close(AutoCloseable c) {
      SharedSessionContractImplementor s = (SharedSessionContractImplementor) c;
      if (!s.isOpen()) {
        return;
      }
      // forget the pending state without touching the connection: no commit, no rollback
      if (s instanceof SessionImplementor full) {
        full.clear();
      }
      s.close();
    }
  }
}
