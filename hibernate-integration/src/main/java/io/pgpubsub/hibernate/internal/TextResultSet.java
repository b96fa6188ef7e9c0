package io.pgpubsub.hibernate.internal;

import java.lang.reflect.Proxy;
import java.sql.ResultSet;
import java.sql.SQLFeatureNotSupportedException;

/**
 * A one-row, one-column ResultSet holding a text value, so that a Hibernate {@code ValueExtractor} that reads
 * JSON as text ({@code getString}/{@code getObject}) can run on a value taken from a stored row. Used for
 * aggregate (JSON) embeddables, whose deserialization is Hibernate's own.
 */
final class TextResultSet {

  private TextResultSet() {}

  static ResultSet of(String text) {
    return (ResultSet)
        Proxy.newProxyInstance(
            TextResultSet.class.getClassLoader(),
            new Class<?>[] {ResultSet.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "getString":
                case "getNString":
                  return text;
                case "getObject":
                  if (args.length == 1 || args[1] == String.class || args[1] == Object.class) {
                    return text;
                  }
                  break;
                case "wasNull":
                  return text == null;
                case "isClosed":
                  return false;
                case "close":
                  return null;
                case "toString":
                  return "TextResultSet";
                case "hashCode":
                  return System.identityHashCode(proxy);
                case "equals":
                  return proxy == args[0];
                default:
                  break;
              }
              throw new SQLFeatureNotSupportedException(
                  "a JSON value from a stored row cannot be read with ResultSet." + method.getName());
            });
  }
}
