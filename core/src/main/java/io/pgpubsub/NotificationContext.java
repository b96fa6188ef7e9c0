package io.pgpubsub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.internal.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.Objects;

/**
 * The notification context: a JSON object the writer attaches to every notification its transaction
 * produces (trigger channels and {@link Notifier} alike), delivered to callbacks as {@link Delivery#context()}
 * and usable in {@link Listener.Builder#payloadFilter(String)}. It is transaction-local ({@code
 * set_config('pgpubsub.notification_context', json, true)}): it vanishes at commit or rollback, so a pooled
 * connection never carries it into someone else's transaction.
 */
public final class NotificationContext {

  private static final class Mapper {
    static final ObjectMapper INSTANCE = Json.newMapper();
  }

  private NotificationContext() {}

  /**
   * Sets the context for the rest of {@code connection}'s current transaction.
   *
   * @throws IllegalStateException when the connection is in auto-commit mode (the setting would vanish
   *     before any write could see it)
   */
  public static void set(Connection connection, Map<String, ?> context) throws SQLException {
    Objects.requireNonNull(context, "context");
    if (connection.getAutoCommit()) {
      throw new IllegalStateException(
          "NotificationContext.set needs an open transaction: the connection is in auto-commit mode, so the"
              + " context would vanish at once");
    }
    String json;
    try {
      json = Mapper.INSTANCE.writeValueAsString(context);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the notification context cannot be written as JSON: " + e.getOriginalMessage(), e);
    }
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT set_config('pgpubsub.notification_context', ?, true)")) {
      ps.setString(1, json);
      ps.execute();
    }
  }

  /** Clears the context for the rest of the current transaction (notifications then carry {@code {}}). */
  public static void clear(Connection connection) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement("SELECT set_config('pgpubsub.notification_context', '', true)")) {
      ps.execute();
    }
  }
}
