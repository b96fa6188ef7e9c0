package io.pgpubsub;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerInvoker;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Hand-built channel model (as the annotation processor would generate it) and deadline-based waits. */
public final class Fixtures {

  private Fixtures() {}

  /** A plain {@code @Channel} record channel, with listener definitions as generated code builds them. */
  public static ChannelDefinition plain(String name, Class<?> type, boolean lockable, ListenerDefinition... listeners) {
    return new ChannelDefinition(
        name, type, false, lockable, true, null, null, Set.of(), type.getName(), null, Arrays.asList(listeners));
  }

  /** A static {@code @ChannelListener} method, invoked through a generated-style lambda. */
  public static ListenerDefinition plainListener(String id, ListenerInvoker invoker) {
    return new ListenerDefinition(id, ListenerKind.PLAIN, Fixtures.class, true, invoker);
  }

  public static Listener.Builder listener(TestDatabase db, ChannelDefinition... channels) {
    return Listener.builder()
        .jdbcUrl(db.jdbcUrl())
        .user(db.user())
        .password(db.password())
        .channelDefinitions(List.of(channels))
        .pollInterval(Duration.ofMinutes(10)) // tests must not pass thanks to polling unless they say so
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  public static void install(TestDatabase db) throws SQLException {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
  }

  /** Waits until {@code condition} holds, checking every 20 ms, or fails after {@code timeout}. */
  public static void await(Duration timeout, String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (Boolean.TRUE.equals(condition.call())) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  public static long count(TestDatabase db, String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Runs {@code work} in one transaction on a new connection and commits. */
  public static void inTransaction(TestDatabase db, SqlWork work) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      work.run(c);
      c.commit();
    }
  }

  @FunctionalInterface
  public interface SqlWork {
    void run(Connection c) throws Exception;
  }
}
