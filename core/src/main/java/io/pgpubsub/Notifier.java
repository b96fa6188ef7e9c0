package io.pgpubsub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.Json;
import io.pgpubsub.internal.SchemaNames;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Sends plain-channel records ({@link Channel}) inside the caller's transaction: nothing is visible to
 * listeners unless that transaction commits, and a committed record is never lost.
 *
 * <ul>
 *   <li>Lockable channels: one row in {@code pgpubsub_notification} and an empty {@code pg_notify} (identical
 *       wake-ups of one transaction collapse into one), sent only when a listener process is idle (the same
 *       rule as the generated triggers); exactly one listener processes it.
 *   <li>Broadcast channels: the event travels in the NOTIFY payload when it is below 7,900 bytes, otherwise as
 *       {@code {"ref":id}} to a copy in {@code pgpubsub_broadcast}; every connected listener receives it.
 * </ul>
 *
 * The record is written as JSON by Jackson (JavaTimeModule, ISO dates) and passed as a bind parameter, like
 * the channel name: nothing a record holds can change the SQL. Payload: {@code {"op":"NOTIFY","new":<record>,
 * "context":<NotificationContext or {}>,"v":"<record class name>"}}. Calling it inside a listener callback
 * works: the record is stored in the worker's transaction and processed after that commits.
 */
public final class Notifier {

  private final String schema;
  private final ObjectMapper mapper;
  private final Map<Class<?>, ChannelDefinition> explicit;
  private final ClassValue<ChannelDefinition> fromRegistries =
      new ClassValue<>() {
        @Override
        protected ChannelDefinition computeValue(Class<?> type) {
          ClassLoader cl = type.getClassLoader() != null ? type.getClassLoader() : ClassLoader.getSystemClassLoader();
          return find(Registries.channels(cl), type);
        }
      };
  private final String lockableSql;
  private final String orderedSql;
  private final String broadcastSql;
  /**
   * Ordered channels: the writer's lock on (channel, key), held until its transaction ends, taken before the
   * notification's id is drawn, so that a key's ids follow commit order (the generated trigger takes the same
   * lock: see docs/ordered-channels.md). Parameters: key, the channel's lock key.
   */
  static final String ORDER_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(?, ?))";

  private Notifier(String schema, List<ChannelDefinition> channels, ObjectMapper mapper) {
    String tables = SchemaNames.sql(schema); // validates the schema name
    this.schema = schema;
    this.mapper = mapper != null ? mapper : Json.newMapper();
    if (channels != null) {
      this.explicit = new HashMap<>();
      for (ChannelDefinition c : channels) {
        if (!c.trigger()) {
          ChannelNames.validate(c.name());
          explicit.put(c.payloadType(), c);
        }
      }
    } else {
      this.explicit = null;
    }
    String context =
        "coalesce(nullif(current_setting('pgpubsub.notification_context', true), '')::jsonb, '{}'::jsonb)";
    String payload = "jsonb_build_object('op', 'NOTIFY', 'new', ?::jsonb, 'context', " + context + ", 'v', ?::text)";
    // the generated trigger's wake-up rule (see io.pgpubsub.internal.Doorbell): notify unless no listener
    // process is idle and none is checking
    String wake =
        " SELECT id, CASE"
            + " WHEN NOT pg_try_advisory_xact_lock_shared(" + ChannelNames.CHECK_LOCK + ", ?) THEN pg_notify(?, '')::text"
            + " WHEN pg_try_advisory_lock(" + ChannelNames.IDLE_LOCK + ", ?) THEN pg_advisory_unlock(" + ChannelNames.IDLE_LOCK + ", ?)::text"
            + " ELSE pg_notify(?, '')::text END FROM n";
    this.lockableSql =
        "WITH n AS (INSERT INTO "
            + tables
            + ".pgpubsub_notification (channel, payload, order_key) VALUES (?, "
            + payload
            + ", ?) RETURNING id)"
            + wake;
    // ordered channels: ORDER_LOCK in the same statement, one round trip. The row's id (its identity default) is
    // drawn when the INSERT projects the row it reads from k, after k's materialized lock has been taken.
    this.orderedSql =
        "WITH k AS MATERIALIZED (" + ORDER_LOCK + "), n AS (INSERT INTO "
            + tables
            + ".pgpubsub_notification (channel, payload, order_key) SELECT ?, "
            + payload
            + ", ? FROM k RETURNING id)"
            + wake;
    this.broadcastSql =
        "WITH p AS (SELECT "
            + payload
            + " AS payload), b AS (INSERT INTO "
            + tables
            + ".pgpubsub_broadcast (channel, payload) SELECT ?, payload FROM p"
            + " WHERE octet_length(payload::text) >= 7900 RETURNING id)"
            + " SELECT coalesce((SELECT id FROM b), 0), pg_notify(?, coalesce((SELECT json_build_object('ref', id)::text FROM b),"
            + " (SELECT payload::text FROM p)))";
  }

  /** A notifier for the schema {@code public} and the channels of the generated registries. */
  public static Notifier create() {
    return new Notifier(NotificationTable.DEFAULT_SCHEMA, null, null);
  }

  /** A notifier for {@code schema} and the given channels (tests, or applications without the processor). */
  public static Notifier create(String schema, List<ChannelDefinition> channels) {
    return new Notifier(schema, Objects.requireNonNull(channels, "channels"), null);
  }

  /** As {@link #create(String, List)}, with your ObjectMapper (listeners must be able to read what it writes). */
  public static Notifier create(String schema, List<ChannelDefinition> channels, ObjectMapper mapper) {
    return new Notifier(schema, Objects.requireNonNull(channels, "channels"), mapper);
  }

  private static final class Default {
    static final Notifier INSTANCE = create();
  }

  /**
   * Sends {@code record} on its channel (found in the generated registries by the record's class), in the
   * schema {@code public}, inside {@code connection}'s current transaction.
   *
   * @return the notification's id (lockable channels), or the id of the stored copy of a large broadcast
   *     event, or 0 for a broadcast event that travelled in the NOTIFY itself
   */
  public static long notify(Connection connection, Object record) throws SQLException {
    return Default.INSTANCE.send(connection, record);
  }

  /**
   * Sends {@code record} on its ordered channel ({@link Channel#ordered()}) under {@code key}: for one key,
   * listeners run the callbacks one at a time, in the order the sending transactions commit. The call waits
   * while another open transaction has sent on the same channel and key (until it commits or rolls back): that
   * is what makes ids of one key follow commit order. On an unordered channel the key is only stored.
   */
  public static long notify(Connection connection, Object record, String key) throws SQLException {
    return Default.INSTANCE.send(connection, record, key);
  }

  /** Sends {@code record} inside {@code connection}'s current transaction; see {@link #notify(Connection, Object)}. */
  public long send(Connection connection, Object record) throws SQLException {
    return send(connection, record, null);
  }

  /**
   * Sends {@code record} under {@code key} inside {@code connection}'s current transaction; see {@link
   * #notify(Connection, Object, String)}.
   *
   * @param key the order key; required on ordered channels, null otherwise
   */
  public long send(Connection connection, Object record, String key) throws SQLException {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(record, "record");
    ChannelDefinition channel = channelOf(record.getClass());
    if (channel.ordered() && key == null) {
      throw new IllegalArgumentException(
          "channel '" + channel.name() + "' is ordered: send " + record.getClass().getName()
              + " with a key, Notifier.notify(connection, record, key)");
    }
    if (key != null && !channel.lockable()) {
      throw new IllegalArgumentException(
          "channel '" + channel.name() + "' is a broadcast channel: its events have no key");
    }
    String json;
    try {
      json = mapper.writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "cannot write " + record.getClass().getName() + " for channel '" + channel.name() + "' as JSON: "
              + e.getOriginalMessage(),
          e);
    }
    String sql = !channel.lockable() ? broadcastSql : key != null ? orderedSql : lockableSql;
    try (PreparedStatement ps = connection.prepareStatement(sql)) {
      if (channel.lockable()) {
        int lockKey = ChannelNames.lockKey(schema, channel.name());
        int p = 1;
        if (key != null) {
          ps.setString(p++, key);
          ps.setLong(p++, lockKey);
        }
        ps.setString(p++, channel.name());
        ps.setString(p++, json);
        ps.setString(p++, record.getClass().getName());
        ps.setString(p++, key);
        String name = ChannelNames.notifyName(schema, channel.name());
        ps.setInt(p++, lockKey);
        ps.setString(p++, name);
        ps.setInt(p++, lockKey);
        ps.setInt(p++, lockKey);
        ps.setString(p, name);
      } else {
        ps.setString(1, json);
        ps.setString(2, record.getClass().getName());
        ps.setString(3, channel.name());
        ps.setString(4, ChannelNames.notifyName(schema, channel.name()));
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The plain channel of {@code type}. */
  public ChannelDefinition channelOf(Class<?> type) {
    ChannelDefinition c = explicit != null ? find(explicit, type) : fromRegistries.get(type);
    if (c == null) {
      throw new IllegalArgumentException(
          type.getName()
              + " is not a @Channel record known to "
              + (explicit != null ? "this notifier" : "the generated registries (is pgpubsub-processor on the annotation processor path?)"));
    }
    return c;
  }

  private static ChannelDefinition find(Map<Class<?>, ChannelDefinition> channels, Class<?> type) {
    return channels.get(type);
  }

  private static ChannelDefinition find(List<ChannelDefinition> channels, Class<?> type) {
    for (ChannelDefinition c : channels) {
      if (c.payloadType() == type) {
        if (c.trigger()) {
          throw new IllegalArgumentException(
              type.getName() + " is a @TriggerChannel entity: its notifications come from its table's trigger");
        }
        ChannelNames.validate(c.name());
        return c;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return "Notifier[schema=" + schema + "]";
  }
}
