package io.pgpubsub.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.StreamEvent;
import io.pgpubsub.StreamPosition;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registered channel at run time: turns a stream event into the {@link ChangeEvent} the hooks see and the SSE
 * frame browsers receive, once per node and event (a small cache keyed by position serves every subscriber of
 * the event, live ones and replaying ones alike).
 */
final class ChannelRuntime<T> {

  private static final Logger log = LoggerFactory.getLogger(ChannelRuntime.class);
  private static final int CACHE = 4096; // a power of two

  final WebChannel<T> channel;
  private final ObjectMapper mapper;
  private final AtomicReferenceArray<Prepared<T>> cache = new AtomicReferenceArray<>(CACHE);

  ChannelRuntime(WebChannel<T> channel, ObjectMapper mapper) {
    if (channel.projection() == null) {
      throw new IllegalArgumentException(
          "web channel '" + channel.name() + "' has no projection: declare what browsers may see with project(...)");
    }
    this.channel = channel;
    this.mapper = mapper;
  }

  /** An event prepared for sending: {@code frame} is null when nothing is sent for it. */
  record Prepared<T>(StreamPosition position, ChangeEvent<T> event, byte[] frame) {}

  Prepared<T> prepare(StreamEvent e) {
    StreamPosition p = e.position();
    int slot = (int) ((p.id() * 31 + p.xid()) & (CACHE - 1));
    Prepared<T> cached = cache.get(slot);
    if (cached != null && cached.position().equals(p)) {
      return cached;
    }
    Prepared<T> prepared = compute(e);
    cache.set(slot, prepared);
    return prepared;
  }

  private Prepared<T> compute(StreamEvent e) {
    try {
      JsonNode root = mapper.readTree(e.payload());
      String op;
      ObjectNode newRow;
      ObjectNode oldRow;
      JsonNode context;
      if (root.isObject() && root.has("op") && (root.has("new") || root.has("old"))) {
        op = root.get("op").asText().toLowerCase(Locale.ROOT);
        newRow = root.get("new") instanceof ObjectNode n ? n : null;
        oldRow = root.get("old") instanceof ObjectNode o ? o : null;
        context = root.path("context");
      } else {
        op = "append";
        newRow = root instanceof ObjectNode n ? n : null;
        oldRow = null;
        context = JsonNodeFactory.instance.objectNode();
      }
      if (context.isMissingNode() || context.isNull()) {
        context = JsonNodeFactory.instance.objectNode();
      }
      ObjectNode idRow = newRow != null ? newRow : oldRow;
      JsonNode idNode = idRow == null ? null : idRow.get(channel.idColumn());
      String id = idNode == null || idNode.isNull() ? null : idNode.asText();
      T current = newRow == null ? null : channel.reader().read(newRow);
      T previous = oldRow == null ? null : channel.reader().read(oldRow);
      ChangeEvent<T> event = new ChangeEvent<>(channel.name(), op, p(e), id, current, previous, context);

      Object projectedNew = current == null ? null : channel.projection().apply(current);
      if (current != null && projectedNew == null) {
        return new Prepared<>(e.position(), event, null); // the projection skips it
      }
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("id", id);
      data.put("new", projectedNew);
      if (channel.includeOld()) {
        data.put("old", previous == null ? null : channel.projection().apply(previous));
      }
      String frame =
          "id: " + e.position() + "\nevent: " + channel.name() + "." + op + "\ndata: " + mapper.writeValueAsString(data)
              + "\n\n";
      return new Prepared<>(e.position(), event, frame.getBytes(StandardCharsets.UTF_8));
    } catch (Exception | LinkageError failure) {
      log.error(
          "web channel '{}': event {} of stream '{}' cannot be decoded or projected; it is not sent to browsers",
          channel.name(), e.position(), e.stream(), failure);
      return new Prepared<>(e.position(), null, null);
    }
  }

  private static StreamPosition p(StreamEvent e) {
    return e.position();
  }
}
