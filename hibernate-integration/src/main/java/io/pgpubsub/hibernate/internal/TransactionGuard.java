package io.pgpubsub.hibernate.internal;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;
import org.hibernate.Transaction;

/**
 * What a callback sees of the Session (EntityManager) or StatelessSession that shares the listener's
 * transaction: everything, except transaction control. {@code getTransaction().commit()/rollback()/begin()},
 * {@code beginTransaction()}, {@code close()} and the like throw an {@link IllegalStateException} that states
 * the rule, before Hibernate or the connection is touched: the transaction removes the notification together
 * with the callback's work, so committing it early would run the work twice after a later failure, and rolling
 * it back would lose the claim while the callback carries on. {@code unwrap} to a Hibernate or Jakarta
 * interface returns the guarded object too.
 */
final class TransactionGuard implements InvocationHandler {

  /** Refused on the session itself. */
  private static final Set<String> SESSION_REFUSED =
      Set.of("beginTransaction", "close", "disconnect", "reconnect", "getCurrentSession");
  /** Allowed on its Transaction: questions, not commands. */
  private static final Set<String> TRANSACTION_ALLOWED =
      Set.of("isActive", "getStatus", "getRollbackOnly", "getTimeout", "isComplete", "toString", "hashCode", "equals");

  private final Object target;
  private final String what;
  private final Class<?> type;

  private TransactionGuard(Object target, Class<?> type, String what) {
    this.target = target;
    this.type = type;
    this.what = what;
  }

  /** A proxy of {@code target} as {@code type}, refusing transaction control. */
  static Object guard(Object target, Class<?> type, String what) {
    return Proxy.newProxyInstance(
        TransactionGuard.class.getClassLoader(), new Class<?>[] {type}, new TransactionGuard(target, type, what));
  }

  static IllegalStateException refused(String call) {
    return new IllegalStateException(
        "a listener callback must not call "
            + call
            + ": the Session/EntityManager shares the listener's transaction, which removes the notification"
            + " together with the callback's work and is committed or rolled back by the listener. Throw an"
            + " exception to undo the callback's work (the notification is retried per the retry policy);"
            + " savepoints are fine");
  }

  @Override
  public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
    String name = method.getName();
    int arity = args == null ? 0 : args.length;
    if (SESSION_REFUSED.contains(name) && arity == 0) {
      throw refused(what + "." + name + "()");
    }
    switch (name) {
      case "equals":
        return proxy == args[0];
      case "hashCode":
        return System.identityHashCode(proxy);
      case "toString":
        return "pgpubsub listener " + what + " (" + target + ")";
      case "getTransaction":
        if (arity == 0) {
          return transaction((Transaction) call(method, args));
        }
        break;
      case "unwrap":
        if (arity == 1 && args[0] instanceof Class<?> c && c.isInterface() && c.isAssignableFrom(type)) {
          return proxy; // em.unwrap(Session.class) keeps the guard
        }
        break;
      default:
        break;
    }
    return call(method, args);
  }

  private Object call(Method method, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private Object transaction(Transaction tx) {
    return Proxy.newProxyInstance(
        TransactionGuard.class.getClassLoader(),
        new Class<?>[] {Transaction.class},
        (p, m, a) -> {
          String name = m.getName();
          if (!TRANSACTION_ALLOWED.contains(name)) {
            throw refused(what + ".getTransaction()." + name + "()");
          }
          switch (name) {
            case "equals":
              return p == a[0];
            case "hashCode":
              return System.identityHashCode(p);
            case "toString":
              return "pgpubsub listener transaction (" + tx + ")";
            default:
              try {
                return m.invoke(tx, a);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
          }
        });
  }
}
