package io.pgpubsub.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.Set;

/**
 * The {@link Connection} callbacks receive: the worker's own, with the calls that would break the batch's
 * transaction refused (commit, rollback, auto-commit, close...). Savepoints are allowed. Created once per
 * pooled connection a worker holds, not per notification.
 */
final class GuardedConnection implements InvocationHandler {

  private static final Set<String> REFUSED =
      Set.of("commit", "setAutoCommit", "close", "abort", "setTransactionIsolation", "setReadOnly");

  private final Connection target;

  private GuardedConnection(Connection target) {
    this.target = target;
  }

  static Connection wrap(Connection target) {
    return (Connection)
        Proxy.newProxyInstance(
            GuardedConnection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            new GuardedConnection(target));
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    if (REFUSED.contains(name) || (name.equals("rollback") && (args == null || args.length == 0))) {
      throw new IllegalStateException(
          "a listener callback must not call Connection."
              + name
              + "(): the connection belongs to the listener, whose transaction removes the notification"
              + " together with the callback's work (savepoints are fine)");
    }
    if (name.equals("isClosed") && (args == null || args.length == 0)) {
      return target.isClosed();
    }
    if (name.equals("equals")) {
      return proxy == args[0];
    }
    if (name.equals("hashCode")) {
      return System.identityHashCode(proxy);
    }
    if (name.equals("toString")) {
      return "pgpubsub listener connection (" + target + ")";
    }
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
