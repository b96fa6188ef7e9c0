package io.pgpubsub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.Json;
import io.pgpubsub.internal.SchemaNames;
import io.pgpubsub.internal.StreamRepository;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Objects;

/**
 * Streams: events kept after they are read, each at a {@link StreamPosition}. A reader that has read up to p
 * never later finds an event at or below p, also when writers commit out of order; an open transaction delays
 * readers, never makes them skip (see docs/streams.md for the exact guarantee and its bound).
 *
 * <pre>{@code
 * Streams streams = Streams.create("public");
 * streams.install(connection);                                   // idempotent
 * streams.append(connection, "orders", new OrderPlaced(42));     // inside the caller's transaction
 * StreamPage page = streams.read(connection, "orders", StreamPosition.BEGINNING, 500);
 * }</pre>
 *
 * Stream names follow the channel name rules (1..63 bytes of {@code [A-Za-z0-9_.-]}).
 */
public final class Streams {

  private final String schema;
  private final ObjectMapper mapper;
  private final StreamRepository repository;

  private Streams(String schema, ObjectMapper mapper) {
    SchemaNames.sql(schema); // validates
    this.schema = schema;
    this.mapper = mapper != null ? mapper : Json.newMapper();
    this.repository = new StreamRepository(schema);
  }

  /** Streams whose tables live in {@code schema}. */
  public static Streams create(String schema) {
    return new Streams(schema, null);
  }

  /** As {@link #create(String)}, with your ObjectMapper for {@link #append(Connection, String, Object)}. */
  public static Streams create(String schema, ObjectMapper mapper) {
    return new Streams(schema, Objects.requireNonNull(mapper, "mapper"));
  }

  public String schema() {
    return schema;
  }

  /** The DDL of the stream tables and the capture trigger function (idempotent; PostgreSQL 13 or later). */
  public static String ddl(String schema) {
    return NotificationTable.render("stream-table.sql", schema);
  }

  /** Creates the stream tables and the capture function if they do not exist yet. */
  public void install(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(ddl(schema));
    }
  }

  /**
   * The LISTEN/NOTIFY name that wakes readers of {@code stream}: {@code pgpubsub_stream:<schema>:<stream>},
   * shortened to 63 bytes as channel names are. A wake-up is only a hint (readers also poll), so a name that
   * meets another one costs an extra read, never an event.
   */
  public String notifyName(String stream) {
    ChannelNames.validate(stream);
    return ChannelNames.shorten("pgpubsub_stream:" + schema + ":" + stream);
  }

  /**
   * Appends {@code record} (written as JSON) to {@code stream} inside {@code connection}'s current transaction,
   * and wakes the stream's readers when it commits. Nothing is readable unless the transaction commits.
   *
   * @return the event's position
   */
  public StreamPosition append(Connection connection, String stream, Object record) throws SQLException {
    Objects.requireNonNull(record, "record");
    String json;
    try {
      json = mapper.writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "cannot write " + record.getClass().getName() + " for stream '" + stream + "' as JSON: " + e.getOriginalMessage(), e);
    }
    return appendJson(connection, stream, json);
  }

  /** As {@link #append(Connection, String, Object)} with the payload already written as JSON. */
  public StreamPosition appendJson(Connection connection, String stream, String json) throws SQLException {
    Objects.requireNonNull(connection, "connection");
    Objects.requireNonNull(json, "json");
    return repository.append(connection, stream, json, notifyName(stream));
  }

  /**
   * Up to {@code limit} events after {@code after}, in position order, each once. Runs one statement on {@code
   * connection} (any transaction state; in auto-commit mode it is its own snapshot).
   *
   * @throws StreamPositionPrunedException the reset signal: {@code after} is below what retention kept
   */
  public StreamPage read(Connection connection, String stream, StreamPosition after, int limit) throws SQLException {
    ChannelNames.validate(stream);
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1, was " + limit);
    }
    return repository.read(connection, stream, Objects.requireNonNull(after, "after"), limit);
  }

  /**
   * Where a reader that wants only new events starts: the newest readable event (or {@link
   * StreamPosition#BEGINNING} for an empty stream). Every event that becomes readable later sorts after it.
   */
  public StreamPosition tail(Connection connection, String stream) throws SQLException {
    ChannelNames.validate(stream);
    return repository.tail(connection, stream);
  }

  /**
   * Retention: deletes the oldest events of {@code stream} that are older than {@code maxAge} (null: no age
   * limit) or beyond the newest {@code maxCount} (0: no count limit), oldest first in position order, and only
   * events that are final (readable). Readers whose position was deleted get {@link
   * StreamPositionPrunedException} from then on. Runs its own transaction on {@code connection}.
   *
   * @return how many events were deleted
   */
  public long prune(Connection connection, String stream, Duration maxAge, long maxCount) throws SQLException {
    ChannelNames.validate(stream);
    if (maxCount < 0) {
      throw new IllegalArgumentException("maxCount must not be negative, was " + maxCount);
    }
    if (maxAge != null && maxAge.isNegative()) {
      throw new IllegalArgumentException("maxAge must not be negative, was " + maxAge);
    }
    return repository.prune(connection, stream, maxAge, maxCount);
  }

  /**
   * Retention of a stream channel as its annotation declares it ({@code @TriggerChannel(stream = true, retain =
   * "P7D", retainCount = ...)}); deletes nothing when it declares none. See {@link #prune(Connection, String,
   * Duration, long)}.
   *
   * @throws IllegalArgumentException when {@code channel} is not a stream channel
   */
  public long prune(Connection connection, io.pgpubsub.spi.ChannelDefinition channel) throws SQLException {
    io.pgpubsub.spi.ChannelDefinition.StreamOptions options = streamOptions(channel);
    if (!options.retains()) {
      return 0;
    }
    return prune(connection, channel.name(), options.retain(), options.retainCount());
  }

  static io.pgpubsub.spi.ChannelDefinition.StreamOptions streamOptions(io.pgpubsub.spi.ChannelDefinition channel) {
    if (!channel.isStream()) {
      throw new IllegalArgumentException(
          "channel '" + channel.name() + "' is not a stream channel (@TriggerChannel(stream = true))");
    }
    return channel.stream();
  }

  /**
   * Every stream's figures (events stored, oldest and newest, tail, retention's watermark) and each named
   * consumer's position and lag, by stream name. Counts every stream's events: meant for status pages, not for a
   * hot path.
   */
  public java.util.List<StreamStatus> status(Connection connection) throws SQLException {
    return repository.status(connection);
  }

  /**
   * Installs a trigger on {@code table} (a name as SQL writes it, for example {@code public.orders} or {@code
   * "Order"}) that appends every inserted, updated and deleted row to {@code stream} inside the writer's
   * transaction, as {@code {"op","table","old","new","context"}} ({@code old}/{@code new} are {@code
   * to_jsonb(OLD/NEW)}). Idempotent (drop and create). The table name is the caller's SQL, not a user input.
   */
  public void capture(Connection connection, String table, String stream) throws SQLException {
    ChannelNames.validate(stream);
    String trigger = "\"pgpubsub_stream_" + stream.replace("\"", "") + "\"";
    if (trigger.length() > 65) {
      throw new IllegalArgumentException("stream name '" + stream + "' is too long for a trigger name (at most 47 bytes)");
    }
    try (Statement s = connection.createStatement()) {
      s.execute("DROP TRIGGER IF EXISTS " + trigger + " ON " + table + ";"
          + " CREATE TRIGGER " + trigger + " AFTER INSERT OR UPDATE OR DELETE ON " + table
          + " FOR EACH ROW EXECUTE FUNCTION " + SchemaNames.sql(schema) + ".pgpubsub_stream_capture('" + stream
          + "', '" + notifyName(stream).replace("'", "''") + "')");
    }
  }

  StreamRepository repository() {
    return repository;
  }

  @Override
  public String toString() {
    return "Streams[schema=" + schema + "]";
  }
}
