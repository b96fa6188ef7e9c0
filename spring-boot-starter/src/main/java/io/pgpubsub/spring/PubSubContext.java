package io.pgpubsub.spring;

import io.pgpubsub.NotificationContext;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Attaches a context (for example a request's user id and tenant) to every notification the current
 * Spring-managed transaction produces from this call on; callbacks receive it as {@code Delivery.context()},
 * and {@code pgpubsub.listener.payload-filter} can select on it. Inject it and call it inside a
 * {@code @Transactional} method (or a {@code TransactionTemplate}):
 *
 * <pre>{@code
 * @Transactional
 * public Order place(OrderRequest request) {
 *   pubSubContext.set(Map.of("user", request.user(), "tenant", request.tenant()));
 *   return orders.save(new Order(...));
 * }
 * }</pre>
 *
 * <p>The context is transaction-local ({@code set_config(..., true)} on the transaction's own connection, the
 * one Spring's transaction manager bound): it vanishes at commit or rollback and never leaks into the next
 * transaction of a pooled connection. Without an active transaction it throws instead of losing the context.
 */
public class PubSubContext {

  private final DataSource dataSource;

  public PubSubContext(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
  }

  /** Sets (replaces) the context of the current transaction. */
  public void set(Map<String, ?> context) {
    Objects.requireNonNull(context, "context");
    withConnection(c -> NotificationContext.set(c, context));
  }

  /** Removes the context for the rest of the current transaction. */
  public void clear() {
    withConnection(NotificationContext::clear);
  }

  private interface Work {
    void run(Connection connection) throws SQLException;
  }

  private void withConnection(Work work) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()) {
      throw new IllegalStateException(
          "pgpubsub: PubSubContext needs an active Spring transaction (@Transactional, TransactionTemplate):"
              + " the context is transaction-local and would vanish at once");
    }
    if (TransactionSynchronizationManager.getResource(dataSource) == null) {
      throw new IllegalStateException(
          "pgpubsub: the active transaction has no connection of the application's DataSource bound (is its"
              + " transaction manager another DataSource's?); the context would go to another connection");
    }
    Connection c = DataSourceUtils.getConnection(dataSource);
    try {
      work.run(c);
    } catch (SQLException e) {
      throw new IllegalStateException("pgpubsub: could not set the notification context: " + e.getMessage(), e);
    } finally {
      DataSourceUtils.releaseConnection(c, dataSource);
    }
  }
}
