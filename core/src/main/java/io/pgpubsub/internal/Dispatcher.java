package io.pgpubsub.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.Delivery;
import io.pgpubsub.Operation;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.spi.Invocation;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.RowDecoder;
import io.pgpubsub.spi.TransactionResources;
import java.io.IOException;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns one stored notification into calls of its channel's listener methods, on the worker's connection and
 * inside its open transaction. Parses the payload once; decodes old/new lazily (only what a listener asks
 * for) and at most once per notification; calls the generated {@link io.pgpubsub.spi.ListenerInvoker}s.
 */
final class Dispatcher {

  /** A channel's listeners by operation, with their instances, resolved once at start. */
  static final class ChannelRuntime {
    final ChannelDefinition definition;
    final Metrics.ChannelMetrics metrics;
    java.util.concurrent.atomic.LongAdder counter;
    private final Target[][] byOperation = new Target[4][]; // INSERT, UPDATE, DELETE, plain (null)

    ChannelRuntime(ChannelDefinition definition, Map<Class<?>, Object> instances, Metrics.ChannelMetrics m) {
      this.definition = definition;
      this.metrics = m;
      Operation[] ops = {Operation.INSERT, Operation.UPDATE, Operation.DELETE, null};
      for (int i = 0; i < ops.length; i++) {
        List<Target> targets = new ArrayList<>();
        for (ListenerDefinition l : definition.listeners()) {
          if (l.kind().accepts(ops[i])) {
            targets.add(new Target(l, l.staticMethod() ? null : instances.get(l.declaringClass())));
          }
        }
        byOperation[i] = targets.toArray(new Target[0]);
      }
    }

    /** Counts one processed notification (metrics and the heartbeat's counter). */
    void processed(long lagMillis) {
      metrics.processed(lagMillis);
      if (counter != null) {
        counter.increment();
      }
    }

    Target[] listeners(Operation op) {
      return byOperation[op == null ? 3 : op.ordinal()];
    }
  }

  record Target(ListenerDefinition definition, Object instance) {}

  private final Map<String, ChannelRuntime> channels;
  private final ObjectMapper mapper;
  /**
   * Reads trigger rows into trees whose numbers are exactly what PostgreSQL wrote, whatever mapper the
   * application configured: every fraction as a BigDecimal (never through double), trailing zeros kept (a
   * {@code numeric(10,2)} {@code 5.00} must not become {@code 5}, nor {@code 100.00} become {@code 1E+2}).
   */
  private final ObjectReader rows;
  private final RowDecoder rowDecoder;
  private final TransactionResources resources;

  Dispatcher(
      List<ChannelDefinition> definitions,
      Function<Class<?>, Object> listenerFactory,
      ObjectMapper mapper,
      RowDecoder rowDecoder,
      TransactionResources resources,
      Metrics metrics) {
    this.mapper = mapper;
    this.rows =
        mapper
            .reader()
            .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
    this.rowDecoder = rowDecoder != null ? rowDecoder : new JacksonRowDecoder(mapper);
    this.resources = resources;
    Map<Class<?>, Object> instances = new LinkedHashMap<>();
    for (ChannelDefinition c : definitions) {
      for (ListenerDefinition l : c.listeners()) {
        if (!l.staticMethod() && !instances.containsKey(l.declaringClass())) {
          instances.put(l.declaringClass(), instantiate(listenerFactory, l));
        }
      }
    }
    Map<String, ChannelRuntime> byName = new LinkedHashMap<>();
    for (ChannelDefinition c : definitions) {
      byName.put(c.name(), new ChannelRuntime(c, instances, metrics.channel(c.name())));
    }
    this.channels = Collections.unmodifiableMap(byName);
  }

  private static Object instantiate(Function<Class<?>, Object> factory, ListenerDefinition l) {
    Object instance;
    try {
      instance = factory.apply(l.declaringClass());
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "could not create an instance of listener class "
              + l.declaringClass().getName()
              + " (for "
              + l.id()
              + "): "
              + e.getMessage(),
          e);
    }
    if (!l.declaringClass().isInstance(instance)) {
      throw new IllegalStateException(
          "the listener factory returned "
              + (instance == null ? "null" : "an instance of " + instance.getClass().getName())
              + " for listener class "
              + l.declaringClass().getName()
              + " (for "
              + l.id()
              + ")");
    }
    return instance;
  }

  ChannelRuntime channel(String name) {
    return channels.get(name);
  }

  Map<String, ChannelRuntime> channels() {
    return channels;
  }

  ObjectMapper mapper() {
    return mapper;
  }

  /**
   * Runs every listener of {@code row}'s channel that accepts its operation, then the resources'
   * beforeCompletion (flush). Throws whatever they throw; a decode problem arrives as an exception whose cause
   * chain holds a {@link DecodeException} (see {@link DecodeFailure#find}). A listener that returns normally
   * but leaves the transaction failed (it caught an SQL error) fails with a {@link FailedTransactionException}.
   */
  void dispatch(ClaimedRow row, Connection connection) throws Exception {
    dispatch(row, GuardedConnection.of(connection));
  }

  /** As {@link #dispatch(ClaimedRow, Connection)}, on the worker's guard of its connection. */
  void dispatch(ClaimedRow row, GuardedConnection guard) throws Exception {
    ChannelRuntime channel = channels.get(row.channel());
    if (channel == null) {
      throw new DecodeException("channel '" + row.channel() + "' is not served by this listener");
    }
    Envelope envelope = parse(channel.definition, row.payload());
    if (!channel.definition.lockable() && channel.definition.trigger()) {
      checkOrigin(channel.definition, envelope);
    }
    Delivery delivery =
        new Delivery(row.id(), row.channel(), envelope.op, row.attempts() + 1, row.createdAt(), envelope.context);
    Target[] targets = channel.listeners(envelope.op);
    Connection guarded = guard.connection();
    InvocationImpl invocation = new InvocationImpl(channel.definition, envelope, delivery, guarded);
    guard.reset();
    boolean inTransaction = guard.inTransaction(); // the worker's claim opened it; a broadcast's may not be yet
    // the resources (a Hibernate Session) work on the guarded connection too: transaction control through them
    // is refused, and their failed statements are noted
    TransactionResources.Scope scope = resources != null ? resources.open(guarded) : null;
    invocation.scope = scope;
    try {
      for (Target t : targets) {
        t.definition().invoker().invoke(t.instance(), invocation);
        if (inTransaction && guard.ended()) {
          throw new IllegalStateException(
              t.definition().id()
                  + " ended the listener's transaction (COMMIT or ROLLBACK through some other path than the"
                  + " Connection given to it) while processing notification "
                  + row.id()
                  + " on channel '"
                  + row.channel()
                  + "': a callback must not control the transaction it runs in");
        }
        if (guard.failed()) {
          throw FailedTransactionException.after(t.definition().id(), row, guard.abortedBy());
        }
      }
      if (scope != null) {
        scope.beforeCompletion();
        if (guard.failed()) {
          throw FailedTransactionException.after("the flush of the callbacks' session", row, guard.abortedBy());
        }
      }
    } finally {
      if (scope != null) {
        scope.close();
      }
    }
  }

  /** A parsed payload: old/new are JSON trees (trigger rows) or the decoded record (plain channels). */
  static final class Envelope {
    Operation op;
    Map<String, Object> context = Map.of();
    Object oldValue;
    Object newValue;
    boolean sawOp;
    String schema;
    String table;
    String version;
  }

  /**
   * A broadcast event travels by NOTIFY, which anyone in the database can send on any name: it is decoded as
   * the channel's entity only when it comes from that entity's table and mapping version. Otherwise it is a
   * decode failure (stored as a dead notification that names both), never a wrong entity.
   */
  private static void checkOrigin(ChannelDefinition channel, Envelope e) throws DecodeException {
    if (!java.util.Objects.equals(channel.schema(), e.schema)
        || !java.util.Objects.equals(channel.table(), e.table)
        || !java.util.Objects.equals(channel.mappingVersion(), e.version)) {
      throw new DecodeException(
          "channel '"
              + channel.name()
              + "': the broadcast event comes from table "
              + (e.schema == null ? "" : e.schema + ".")
              + e.table
              + " with mapping version "
              + e.version
              + ", but this listener's entity "
              + channel.payloadType().getName()
              + " maps table "
              + (channel.schema() == null ? "" : channel.schema() + ".")
              + channel.table()
              + " with mapping version "
              + channel.mappingVersion()
              + " (another application's channel of the same name, or a trigger installed from another build):"
              + " not decoded");
    }
  }

  /**
   * Parses a payload in one streaming pass, without building a tree of the envelope: plain-channel records are
   * read straight into their record type; trigger rows become ObjectNodes for the {@link RowDecoder}.
   */
  Envelope parse(ChannelDefinition channel, String payload) throws DecodeException {
    Envelope e = new Envelope();
    try (JsonParser p = mapper.createParser(payload)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new DecodeException("channel '" + channel.name() + "': the payload is not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "op":
            e.op = operation(channel.name(), value == JsonToken.VALUE_STRING ? p.getText() : null);
            e.sawOp = true;
            break;
          case "context":
            e.context = context(channel.name(), p, value);
            break;
          case "old":
            e.oldValue = value == JsonToken.VALUE_NULL ? null : readPart(channel, p, "old");
            break;
          case "new":
            e.newValue = value == JsonToken.VALUE_NULL ? null : readPart(channel, p, "new");
            break;
          case "schema":
            e.schema = text(p, value);
            break;
          case "table":
            e.table = text(p, value);
            break;
          case "v":
            e.version = text(p, value);
            break;
          default:
            p.skipChildren();
        }
      }
    } catch (IOException ex) {
      throw new DecodeException(
          "channel '" + channel.name() + "': the payload is not valid JSON: " + ex.getMessage(), ex);
    }
    if (!e.sawOp) {
      throw new DecodeException("channel '" + channel.name() + "': the payload has no \"op\"");
    }
    return e;
  }

  private Object readPart(ChannelDefinition channel, JsonParser p, String part) throws DecodeException, IOException {
    if (channel.trigger()) {
      JsonNode row = rows.readTree(p);
      if (!(row instanceof ObjectNode)) {
        throw new DecodeException(
            "channel '" + channel.name() + "': the " + part + " row is not a JSON object: " + row.getNodeType());
      }
      return row;
    }
    try {
      return mapper.readValue(p, channel.payloadType());
    } catch (JsonProcessingException ex) {
      throw decodeError(channel.name(), part + " value", channel.payloadType(), ex);
    }
  }

  /** A string field's text; null (skipped) for anything else. */
  private static String text(JsonParser p, JsonToken value) throws IOException {
    if (value == JsonToken.VALUE_STRING) {
      return p.getText();
    }
    p.skipChildren();
    return null;
  }

  private static Operation operation(String channel, String op) throws DecodeException {
    if (op == null) {
      throw new DecodeException("channel '" + channel + "': \"op\" is not a string");
    }
    switch (op) {
      case "INSERT":
        return Operation.INSERT;
      case "UPDATE":
        return Operation.UPDATE;
      case "DELETE":
        return Operation.DELETE;
      case "NOTIFY":
        return null;
      default:
        throw new DecodeException("channel '" + channel + "': unknown \"op\" \"" + op + "\"");
    }
  }

  private Map<String, Object> context(String channel, JsonParser p, JsonToken value)
      throws DecodeException, IOException {
    if (value == JsonToken.VALUE_NULL) {
      return Map.of();
    }
    if (value != JsonToken.START_OBJECT) {
      throw new DecodeException("channel '" + channel + "': \"context\" is not a JSON object");
    }
    if (p.nextToken() == JsonToken.END_OBJECT) {
      return Map.of(); // the common case: no context, nothing allocated
    }
    Map<String, Object> map = new LinkedHashMap<>();
    do {
      String key = p.currentName();
      p.nextToken();
      map.put(key, mapper.readValue(p, Object.class));
    } while (p.nextToken() == JsonToken.FIELD_NAME);
    return Collections.unmodifiableMap(map);
  }

  static DecodeException decodeError(String channel, String part, Class<?> type, Exception e) {
    String path = JacksonRowDecoder.path(e);
    String what = e instanceof JsonProcessingException ? ((JsonProcessingException) e).getOriginalMessage() : e.getMessage();
    return new DecodeException(
        "channel '"
            + channel
            + "': cannot decode the "
            + part
            + (path != null ? " column/field '" + path + "'" : "")
            + " as "
            + type.getName()
            + ": "
            + what,
        e);
  }

  /** What generated dispatch code reads a listener's arguments from. */
  private final class InvocationImpl implements Invocation {
    private final ChannelDefinition channel;
    private final Envelope envelope;
    private final Delivery delivery;
    private final Connection connection;
    TransactionResources.Scope scope;
    private Class<?> oldType;
    private Object oldDecoded;
    private Class<?> newType;
    private Object newDecoded;

    InvocationImpl(ChannelDefinition channel, Envelope envelope, Delivery delivery, Connection connection) {
      this.channel = channel;
      this.envelope = envelope;
      this.delivery = delivery;
      this.connection = connection;
    }

    @Override
    public <T> T oldValue(Class<T> type) {
      if (envelope.oldValue == null) {
        return null;
      }
      if (oldType != type) {
        oldDecoded = decode(envelope.oldValue, "old", type);
        oldType = type;
      }
      return type.cast(oldDecoded);
    }

    @Override
    public <T> T newValue(Class<T> type) {
      if (envelope.newValue == null) {
        return null;
      }
      if (newType != type) {
        newDecoded = decode(envelope.newValue, "new", type);
        newType = type;
      }
      return type.cast(newDecoded);
    }

    private Object decode(Object raw, String part, Class<?> type) {
      if (type.isInstance(raw)) {
        return raw; // the plain record itself, or the raw row for JsonNode / ObjectNode parameters
      }
      try {
        if (channel.trigger()) {
          Object value = rowDecoder.decode(channel, (ObjectNode) raw);
          if (value != null && !type.isInstance(value)) {
            throw new DecodeException(
                "channel '"
                    + channel.name()
                    + "': the "
                    + part
                    + " row decoded as "
                    + value.getClass().getName()
                    + ", the listener wants "
                    + type.getName());
          }
          return value;
        }
        try {
          return mapper.convertValue(raw, type); // a plain record asked for as another type
        } catch (IllegalArgumentException e) {
          throw decodeError(channel.name(), part + " value", type, e);
        }
      } catch (DecodeException e) {
        throw new DecodeFailure(e);
      }
    }

    @Override
    public Delivery delivery() {
      return delivery;
    }

    @Override
    public <T> T resource(Class<T> type) {
      if (type == Connection.class) {
        return type.cast(connection);
      }
      if (scope != null) {
        T r = scope.get(type);
        if (r != null) {
          return r;
        }
      }
      throw new IllegalStateException(
          "no "
              + type.getName()
              + " is available to listeners of channel '"
              + channel.name()
              + "': java.sql.Connection always is; Session/EntityManager need the Hibernate integration"
              + " (pgpubsub-hibernate) to supply transactionResources(...)");
    }
  }
}
