package io.pgpubsub.spi;

import java.sql.Connection;

/**
 * Supplies callbacks with resources that share the worker's transaction (a Hibernate Session, say). The
 * runtime calls {@link #open} once per notification, around its callbacks.
 */
public interface TransactionResources {

  /** Begins a scope on the worker's connection; the connection's transaction is already open. */
  Scope open(Connection connection);

  /** Resources of one notification. */
  interface Scope extends AutoCloseable {

    /** The resource of {@code type}, created lazily; null when this provider has none of that type. */
    <T> T get(Class<T> type);

    /** Called after the callbacks returned normally and before the savepoint/transaction completes (flush). */
    void beforeCompletion() throws Exception;

    /** Releases the resources; never commits or rolls back the connection. */
    @Override
    void close();
  }
}
