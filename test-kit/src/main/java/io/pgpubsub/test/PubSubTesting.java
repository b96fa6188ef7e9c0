package io.pgpubsub.test;

import io.pgpubsub.DeadLetter;
import io.pgpubsub.DrainResult;
import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.hibernate.HibernatePubSub;
import io.pgpubsub.hibernate.PubSubSettings;
import io.pgpubsub.testing.TestDatabase;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Assertions;

/**
 * Helpers for integration tests of an application that uses pgpubsub: the Hibernate settings for a test
 * database, a listener that fails fast, and assertions on what was delivered and what is dead.
 *
 * <pre>{@code
 * try (Listener listener = PubSubTesting.listener(sessionFactory).build().start()) {
 *   ... write through Hibernate ...
 *   assertDelivered(3, listener.drain());
 *   assertNoDeadLetters(listener);
 * }
 * }</pre>
 */
public final class PubSubTesting {

  private PubSubTesting() {}

  /**
   * Hibernate settings for {@code db}: its JDBC URL and credentials, {@code hibernate.hbm2ddl.auto=create} and
   * {@code hibernate.pgpubsub.schema_management=create} (tables, notification table and triggers made at
   * boot). Pass them to {@code HibernatePersistenceConfiguration.properties(...)}, {@code
   * Persistence.createEntityManagerFactory(unit, settings)} or {@code Configuration.addProperties}.
   *
   * @param db the test database
   * @return a new mutable map
   */
  public static Map<String, Object> hibernateSettings(TestDatabase db) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("jakarta.persistence.jdbc.url", db.jdbcUrl());
    if (db.user() != null) {
      settings.put("jakarta.persistence.jdbc.user", db.user());
    }
    if (db.password() != null) {
      settings.put("jakarta.persistence.jdbc.password", db.password());
    }
    settings.put("hibernate.hbm2ddl.auto", "create");
    settings.put(PubSubSettings.SCHEMA_MANAGEMENT, "create");
    return settings;
  }

  /**
   * {@link HibernatePubSub#listener(SessionFactory)} with settings for tests: 3 attempts 10-50 ms apart (a
   * failing callback is dead within a drain, not minutes later), a 5 s grace period. Every option can still be
   * changed on the returned builder.
   *
   * @param sessionFactory the application's factory
   * @return the builder; {@code build().start()} it in a try-with-resources
   */
  public static Listener.Builder listener(SessionFactory sessionFactory) {
    return HibernatePubSub.listener(sessionFactory)
        .retryPolicy(RetryPolicy.exponential(3, Duration.ofMillis(10), Duration.ofMillis(50)))
        .gracePeriod(Duration.ofSeconds(5));
  }

  /**
   * Asserts that a drain processed exactly {@code processed} notifications, with no failed attempt and nothing
   * dead.
   *
   * @param processed the expected number of processed notifications
   * @param drained what {@link Listener#drain()} or {@link Listener#awaitIdle} returned
   */
  public static void assertDelivered(long processed, DrainResult drained) {
    Assertions.assertEquals(
        new DrainResult(processed, 0, 0), drained, "expected " + processed + " notification(s) processed without a failure");
  }

  /**
   * Asserts that no notification of the listener's database and schema is dead, listing the dead ones
   * (channel, id, first line of the error) otherwise.
   *
   * @param listener a started listener
   */
  public static void assertNoDeadLetters(Listener listener) {
    List<DeadLetter> dead = deadLetters(listener);
    if (!dead.isEmpty()) {
      Assertions.fail(
          dead.size()
              + " dead notification(s):\n"
              + dead.stream().map(PubSubTesting::describe).collect(Collectors.joining("\n")));
    }
  }

  /**
   * Asserts that exactly one notification of {@code channel} is dead and that its last error contains {@code
   * errorPart}; returns it for further checks (its payload, its attempts).
   *
   * @param listener a started listener
   * @param channel the channel name
   * @param errorPart a part of the expected error (its class name or message)
   * @return the dead notification
   */
  public static DeadLetter assertDeadLetter(Listener listener, String channel, String errorPart) {
    List<DeadLetter> onChannel = deadLetters(listener).stream().filter(d -> d.channel().equals(channel)).toList();
    Assertions.assertEquals(
        1,
        onChannel.size(),
        () -> "dead notifications on channel '" + channel + "': " + onChannel.stream().map(PubSubTesting::describe).toList());
    DeadLetter d = onChannel.get(0);
    Assertions.assertTrue(
        d.lastError() != null && d.lastError().contains(errorPart),
        () -> "the dead notification's error does not contain '" + errorPart + "': " + describe(d));
    return d;
  }

  /**
   * The dead notifications of the listener's database and schema, oldest first (at most 1000).
   *
   * @param listener a started listener
   * @return the dead notifications
   */
  public static List<DeadLetter> deadLetters(Listener listener) {
    try {
      return listener.deadLetters().list(1000);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the dead notifications: " + e.getMessage(), e);
    }
  }

  private static String describe(DeadLetter d) {
    String error = d.lastError() == null ? "" : d.lastError();
    int nl = error.indexOf('\n');
    return "  " + d.channel() + " #" + d.id() + " after " + d.attempts() + " attempt(s): " + (nl < 0 ? error : error.substring(0, nl));
  }
}
