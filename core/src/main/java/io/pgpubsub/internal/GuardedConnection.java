package io.pgpubsub.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;
import java.util.regex.Pattern;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * The {@link Connection} callbacks (and the Session the Hibernate integration opens for them) receive: the
 * worker's own, with the calls that would break the batch's transaction refused (commit, rollback, auto-commit
 * changes, close...). Savepoints are allowed. Created once per pooled connection a worker holds, not per
 * notification.
 *
 * <p>It also watches the transaction for a callback that caught an SQL error and returned normally: the
 * transaction is then failed (PostgreSQL refuses every further statement, and a {@code COMMIT} silently rolls
 * back: pgjdbc's {@code commit()} returns normally). {@link #failed()} reads pgjdbc's transaction state, which
 * every server response updates, so checking it costs no round trip; the statements created through this
 * connection note the error that made the transaction fail ({@link #abortedBy()}), so that the callback's
 * failure can say which statement it swallowed.
 */
final class GuardedConnection implements InvocationHandler {

  private static final Set<String> REFUSED =
      Set.of("commit", "close", "abort", "setTransactionIsolation", "setReadOnly");
  private static final Set<String> STATEMENT_FACTORIES =
      Set.of("createStatement", "prepareStatement", "prepareCall");
  /** Statement methods whose first argument is SQL to run (or to add to a batch). */
  private static final Set<String> SQL_METHODS =
      Set.of("execute", "executeQuery", "executeUpdate", "executeLargeUpdate", "addBatch");
  /**
   * SQL that ends or begins a transaction, by its first words (comments and whitespace skipped):
   * COMMIT, END, ROLLBACK (but not ROLLBACK TO), ABORT, BEGIN, START TRANSACTION, PREPARE TRANSACTION.
   */
  private static final Pattern TRANSACTION_CONTROL =
      Pattern.compile(
          "(?is)(?:\\s|--[^\\n]*(?:\\n|$)|/\\*.*?\\*/)*"
              + "(commit|end|abort|begin|rollback(?!\\s+(?:work\\s+|transaction\\s+)?to\\b)|start\\s+transaction"
              + "|prepare\\s+transaction)\\b");

  private final Connection target;
  /** pgjdbc's connection, for its transaction state; null when the pool's connection does not unwrap to it. */
  private final BaseConnection pg;
  private final Connection proxy;
  /** The error of the statement that made the transaction fail, until the transaction is good again. */
  private SQLException abortedBy;

  private GuardedConnection(Connection target) {
    this.target = target;
    BaseConnection base = null;
    try {
      if (target.isWrapperFor(BaseConnection.class)) {
        base = target.unwrap(BaseConnection.class);
      }
    } catch (SQLException | RuntimeException e) {
      // not pgjdbc underneath (a wrapping pool or driver): failed() asks the server instead
    }
    this.pg = base;
    this.proxy =
        (Connection)
            Proxy.newProxyInstance(
                GuardedConnection.class.getClassLoader(), new Class<?>[] {Connection.class}, this);
  }

  /** A guard for {@code target}, the worker's connection in its open transaction. */
  static GuardedConnection of(Connection target) {
    return new GuardedConnection(target);
  }

  /** A guarded view of {@code target}, for code that does not check the transaction state. */
  static Connection wrap(Connection target) {
    return of(target).connection();
  }

  /** What callbacks receive. */
  Connection connection() {
    return proxy;
  }

  /** The server process of the connection (for pg_terminate_backend), or 0 when unknown. */
  int backendPid() {
    return pg != null ? pg.getBackendPID() : 0;
  }

  /**
   * Whether the transaction is failed: a statement failed and nothing rolled back to a savepoint since. Reads
   * pgjdbc's state (no round trip); without pgjdbc underneath, runs {@code SELECT 1}.
   */
  boolean failed() throws SQLException {
    if (pg != null) {
      return pg.getTransactionState() == TransactionState.FAILED;
    }
    try (Statement s = target.createStatement()) {
      s.execute("SELECT 1");
      return false;
    } catch (SQLException e) {
      if ("25P02".equals(e.getSQLState())) {
        return true;
      }
      throw e;
    }
  }

  /** The error of the statement that made the transaction fail, if it went through this connection. */
  SQLException abortedBy() {
    return abortedBy;
  }

  /** Forgets the noted error (a new notification's callbacks start on a good transaction). */
  void reset() {
    abortedBy = null;
  }

  private void noteFailure(SQLException e) {
    if (abortedBy != null) {
      return;
    }
    try {
      if (pg == null || pg.getTransactionState() == TransactionState.FAILED) {
        abortedBy = e;
      }
    } catch (RuntimeException ignored) {
      // a closed connection: nothing to note
    }
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    if (REFUSED.contains(name)
        || (name.equals("rollback") && (args == null || args.length == 0))
        || (name.equals("setAutoCommit") && !Boolean.valueOf(target.getAutoCommit()).equals(args[0]))) {
      throw new IllegalStateException(
          "a listener callback must not call Connection."
              + name
              + "(): the connection belongs to the listener, whose transaction removes the notification"
              + " together with the callback's work (savepoints are fine; throw an exception to undo the"
              + " callback's work)");
    }
    if (STATEMENT_FACTORIES.contains(name) && args != null && args.length > 0 && args[0] instanceof String sql) {
      refuseTransactionControl(sql);
    }
    switch (name) {
      case "setAutoCommit":
        return null; // unchanged (Hibernate "begins" a transaction with setAutoCommit(false))
      case "isClosed":
        if (args == null || args.length == 0) {
          return target.isClosed();
        }
        break;
      case "equals":
        return proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "pgpubsub listener connection (" + target + ")";
      default:
        break;
    }
    Object result;
    try {
      result = method.invoke(target, args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof SQLException sql) {
        noteFailure(sql);
      }
      throw e.getCause();
    }
    if (name.equals("rollback") && abortedBy != null && !failed()) {
      abortedBy = null; // rolled back to a savepoint: the transaction is good again
    }
    if (result instanceof Statement statement && STATEMENT_FACTORIES.contains(name)) {
      return guard(statement, method.getReturnType());
    }
    return result;
  }

  /** SQL {@code COMMIT}, {@code ROLLBACK}, {@code BEGIN}... are refused as {@code commit()} is. */
  private static void refuseTransactionControl(String sql) {
    java.util.regex.Matcher m = TRANSACTION_CONTROL.matcher(sql);
    if (m.lookingAt()) {
      throw new IllegalStateException(
          "a listener callback must not run SQL "
              + m.group(1).toUpperCase(java.util.Locale.ROOT).replaceAll("\\s+", " ")
              + ": the connection belongs to the listener, whose transaction removes the notification together"
              + " with the callback's work (savepoints are fine; throw an exception to undo the callback's work)");
    }
  }

  /**
   * Whether the transaction has ended (a callback ran COMMIT or ROLLBACK some way the guard did not see): then
   * nothing of the batch can be trusted. Reads pgjdbc's state; false when it is not available.
   */
  boolean ended() {
    return pg != null && pg.getTransactionState() == TransactionState.IDLE;
  }

  /** Whether a transaction is open (or failed) on the connection; true when pgjdbc's state is not available. */
  boolean inTransaction() {
    return pg == null || pg.getTransactionState() != TransactionState.IDLE;
  }

  /** A statement that notes its errors, and whose {@code getConnection()} is the guarded connection. */
  private Object guard(Statement statement, Class<?> type) {
    Class<?> iface =
        type == CallableStatement.class || type == PreparedStatement.class ? type : Statement.class;
    return Proxy.newProxyInstance(
        GuardedConnection.class.getClassLoader(),
        new Class<?>[] {iface},
        (p, m, a) -> {
          switch (m.getName()) {
            case "getConnection":
              return proxy;
            case "equals":
              return p == a[0];
            case "hashCode":
              return System.identityHashCode(p);
            default:
              if (a != null && a.length > 0 && a[0] instanceof String sql && SQL_METHODS.contains(m.getName())) {
                refuseTransactionControl(sql);
              }
              try {
                return m.invoke(statement, a);
              } catch (InvocationTargetException e) {
                if (e.getCause() instanceof SQLException sql) {
                  noteFailure(sql);
                }
                throw e.getCause();
              }
          }
        });
  }
}
