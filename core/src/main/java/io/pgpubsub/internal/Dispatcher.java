package io.pgpubsub.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.Delivery;
import io.pgpubsub.Operation;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.spi.Invocation;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.RowDecoder;
import io.pgpubsub.spi.TransactionResources;
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

  private static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() {};

  /** A channel's listeners by operation, with their instances, resolved once at start. */
  static final class ChannelRuntime {
    final ChannelDefinition definition;
    final Metrics.ChannelMetrics metrics;
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

    Target[] listeners(Operation op) {
      return byOperation[op == null ? 3 : op.ordinal()];
    }
  }

  record Target(ListenerDefinition definition, Object instance) {}

  private final Map<String, ChannelRuntime> channels;
  private final ObjectMapper mapper;
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
   * chain holds a {@link DecodeException} (see {@link DecodeFailure#find}).
   */
  void dispatch(ClaimedRow row, Connection connection) throws Exception {
    ChannelRuntime channel = channels.get(row.channel());
    if (channel == null) {
      throw new DecodeException("channel '" + row.channel() + "' is not served by this listener");
    }
    JsonNode payload;
    try {
      payload = mapper.readTree(row.payload());
    } catch (JsonProcessingException e) {
      throw new DecodeException("channel '" + row.channel() + "': the payload is not JSON: " + e.getOriginalMessage(), e);
    }
    if (payload == null || !payload.isObject()) {
      throw new DecodeException("channel '" + row.channel() + "': the payload is not a JSON object");
    }
    Operation op = operation(row.channel(), payload.get("op"));
    Map<String, Object> context = context(row.channel(), payload.get("context"));
    Delivery delivery =
        new Delivery(row.id(), row.channel(), op, row.attempts() + 1, row.createdAt(), context);
    Target[] targets = channel.listeners(op);
    InvocationImpl invocation =
        new InvocationImpl(channel.definition, payload.get("old"), payload.get("new"), delivery, connection);
    TransactionResources.Scope scope = resources != null ? resources.open(connection) : null;
    invocation.scope = scope;
    try {
      for (Target t : targets) {
        t.definition().invoker().invoke(t.instance(), invocation);
      }
      if (scope != null) {
        scope.beforeCompletion();
      }
    } finally {
      if (scope != null) {
        scope.close();
      }
    }
  }

  private static Operation operation(String channel, JsonNode op) throws DecodeException {
    if (op == null || op.isNull()) {
      throw new DecodeException("channel '" + channel + "': the payload has no \"op\"");
    }
    switch (op.asText()) {
      case "INSERT":
        return Operation.INSERT;
      case "UPDATE":
        return Operation.UPDATE;
      case "DELETE":
        return Operation.DELETE;
      case "NOTIFY":
        return null;
      default:
        throw new DecodeException("channel '" + channel + "': unknown \"op\" " + op);
    }
  }

  private Map<String, Object> context(String channel, JsonNode node) throws DecodeException {
    if (node == null || node.isNull() || (node.isObject() && node.isEmpty())) {
      return Map.of();
    }
    if (!node.isObject()) {
      throw new DecodeException("channel '" + channel + "': \"context\" is not a JSON object: " + node);
    }
    return Collections.unmodifiableMap(mapper.convertValue(node, MAP));
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
    private final JsonNode oldNode;
    private final JsonNode newNode;
    private final Delivery delivery;
    private final Connection connection;
    TransactionResources.Scope scope;
    private Class<?> oldType;
    private Object oldValue;
    private Class<?> newType;
    private Object newValue;

    InvocationImpl(
        ChannelDefinition channel, JsonNode oldNode, JsonNode newNode, Delivery delivery, Connection connection) {
      this.channel = channel;
      this.oldNode = oldNode;
      this.newNode = newNode;
      this.delivery = delivery;
      this.connection = connection;
    }

    @Override
    public <T> T oldValue(Class<T> type) {
      if (oldNode == null || oldNode.isNull()) {
        return null;
      }
      if (oldType != type) {
        oldValue = decode(oldNode, "old", type);
        oldType = type;
      }
      return type.cast(oldValue);
    }

    @Override
    public <T> T newValue(Class<T> type) {
      if (newNode == null || newNode.isNull()) {
        return null;
      }
      if (newType != type) {
        newValue = decode(newNode, "new", type);
        newType = type;
      }
      return type.cast(newValue);
    }

    private Object decode(JsonNode node, String part, Class<?> type) {
      if (type.isInstance(node)) {
        return node; // JsonNode / ObjectNode parameters get the raw row
      }
      try {
        if (channel.trigger()) {
          if (!(node instanceof ObjectNode)) {
            throw new DecodeException(
                "channel '" + channel.name() + "': the " + part + " row is not a JSON object: " + node.getNodeType());
          }
          Object value = rowDecoder.decode(channel, (ObjectNode) node);
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
          return mapper.treeToValue(node, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
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
