package io.pgpubsub;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import io.pgpubsub.internal.JacksonRowDecoder;
import io.pgpubsub.internal.Json;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.spi.RowDecoder;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;

/**
 * Decodes the events of a stream channel ({@code @TriggerChannel(stream = true)}) into {@link StreamChange}s:
 * old and new rows become entities through a {@link RowDecoder}. The Hibernate integration's {@code
 * HibernatePubSub.streamChanges(sessionFactory, Order.class)} gives one that decodes through Hibernate's
 * mapping (naming strategies, converters, embeddables); {@link #jackson} decodes with Jackson alone, for
 * classes whose properties are named like the columns. Thread-safe; make one per stream and keep it.
 *
 * <pre>{@code
 * StreamChanges<Order> orders = HibernatePubSub.streamChanges(sessionFactory, Order.class);
 * reader.subscribe(from, event -> {
 *   StreamChange<Order> change = orders.decode(event);
 *   index(change.op(), change.oldEntity(), change.newEntity(), change.position());
 * });
 * }</pre>
 *
 * @param <E> the entity type
 */
public final class StreamChanges<E> {

  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final ChannelDefinition channel;
  private final Class<E> type;
  private final RowDecoder decoder;
  /** Numbers exactly as PostgreSQL wrote them (BigDecimal scale kept), as the listeners read trigger rows. */
  private final ObjectReader rows;
  private final ObjectMapper mapper;

  private StreamChanges(ChannelDefinition channel, Class<E> type, RowDecoder decoder, ObjectMapper mapper) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.type = Objects.requireNonNull(type, "type");
    this.decoder = Objects.requireNonNull(decoder, "decoder");
    this.mapper = mapper;
    this.rows =
        mapper
            .reader()
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
    if (!channel.trigger()) {
      throw new IllegalArgumentException(
          "channel '" + channel.name() + "' is a plain channel: read its events with StreamEvent.payloadAs(type)");
    }
    if (!type.isAssignableFrom(channel.payloadType())) {
      throw new IllegalArgumentException(
          "channel '" + channel.name() + "' carries " + channel.payloadType().getName() + ", not " + type.getName());
    }
  }

  /** Decodes the events of {@code channel} with {@code decoder} (for example Hibernate's). */
  public static <E> StreamChanges<E> of(ChannelDefinition channel, Class<E> type, RowDecoder decoder) {
    return new StreamChanges<>(channel, type, decoder, Json.newMapper());
  }

  /** Decodes with Jackson alone: the entity's properties must be named like the table's columns. */
  public static <E> StreamChanges<E> jackson(ChannelDefinition channel, Class<E> type, ObjectMapper mapper) {
    return new StreamChanges<>(channel, type, new JacksonRowDecoder(mapper), mapper);
  }

  /** The channel (and stream) whose events this decodes. */
  public ChannelDefinition channel() {
    return channel;
  }

  /**
   * The change {@code event} holds.
   *
   * @throws DecodeException naming the stream, the position and what is wrong, when the payload is not a change
   *     of this channel's table or a row cannot become the entity
   */
  public StreamChange<E> decode(StreamEvent event) throws DecodeException {
    String where = "stream '" + event.stream() + "', event " + event.position();
    JsonNode root;
    try {
      root = rows.readTree(event.payload());
    } catch (IOException e) {
      throw new DecodeException(where + ": the payload is not valid JSON: " + e.getMessage(), e);
    }
    if (!(root instanceof ObjectNode payload) || !payload.path("op").isTextual()) {
      throw new DecodeException(
          where + ": the payload is not a change of a table ({\"op\",\"table\",\"old\",\"new\",...}); read events"
              + " appended with Streams.append with StreamEvent.payloadAs(type)");
    }
    Operation op;
    try {
      op = Operation.valueOf(payload.get("op").asText());
    } catch (IllegalArgumentException e) {
      throw new DecodeException(where + ": unknown \"op\" \"" + payload.get("op").asText() + "\"", e);
    }
    E oldEntity = row(payload, "old", where);
    E newEntity = row(payload, "new", where);
    Map<String, Object> context = Map.of();
    JsonNode ctx = payload.get("context");
    if (ctx instanceof ObjectNode) {
      context = mapper.convertValue(ctx, MAP);
    }
    return new StreamChange<>(event, op, oldEntity, newEntity, context);
  }

  private E row(ObjectNode payload, String part, String where) throws DecodeException {
    JsonNode row = payload.get(part);
    if (row == null || row.isNull()) {
      return null;
    }
    if (!(row instanceof ObjectNode object)) {
      throw new DecodeException(where + ": the " + part + " row is not a JSON object: " + row.getNodeType());
    }
    Object value;
    try {
      value = decoder.decode(channel, object);
    } catch (DecodeException e) {
      throw new DecodeException(where + " (" + part + " row): " + e.getMessage(), e);
    }
    return type.cast(value);
  }

  @Override
  public String toString() {
    return "StreamChanges[" + channel.name() + " -> " + type.getName() + "]";
  }
}
