package io.pgpubsub.relay;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One notification as a broker message: what every {@link RelayPublisher} sends.
 *
 * <p>The body is JSON: {@code {"id", "channel", "key", "op", "table", "old", "new", "context", "time"}} (the
 * notification's id and channel, its order key, the operation, the table of a trigger channel, the old and new
 * row, the writer's notification context, and the writing transaction's time). The same metadata travels as
 * headers ({@link #headers()}), so that a consumer can route and de-duplicate without parsing the body.
 *
 * @param id the notification's id: stable across re-sends, the consumers' de-duplication key
 * @param channel the relayed channel
 * @param key the order key (the entity id by default; see docs/ordered-channels.md)
 * @param operation {@code INSERT}, {@code UPDATE}, {@code DELETE} (trigger channels) or {@code NOTIFY} (plain
 *     channels)
 * @param time when the writing transaction stored the notification (PostgreSQL's {@code now()} in it)
 * @param context the writer's notification context, as JSON text ({@code {}} when none was set)
 * @param body the message body (UTF-8 JSON)
 */
public record RelayMessage(
    long id, String channel, String key, String operation, Instant time, String context, byte[] body) {

  /** Header: the notification id (decimal). */
  public static final String ID = "pgpubsub-id";
  /** Header: the channel. */
  public static final String CHANNEL = "pgpubsub-channel";
  /** Header: the order key. */
  public static final String KEY = "pgpubsub-key";
  /** Header: the operation. */
  public static final String OPERATION = "pgpubsub-operation";
  /** Header: the writing transaction's time, ISO-8601 ({@link Instant#toString()}). */
  public static final String TIME = "pgpubsub-time";
  /** Header: the notification context, JSON. */
  public static final String CONTEXT = "pgpubsub-context";

  public RelayMessage {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(body, "body");
  }

  /** The headers every publisher sends, in this order: id, channel, key, operation, time, context. */
  public Map<String, String> headers() {
    Map<String, String> h = new LinkedHashMap<>();
    h.put(ID, Long.toString(id));
    h.put(CHANNEL, channel);
    h.put(KEY, key);
    h.put(OPERATION, operation);
    h.put(TIME, time.toString());
    h.put(CONTEXT, context);
    return h;
  }

  /** The body as text. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RelayMessage m && m.id == id && m.channel.equals(channel);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(id) * 31 + channel.hashCode();
  }

  @Override
  public String toString() {
    return "RelayMessage[" + channel + " #" + id + " key " + key + " " + operation + ", " + body.length + " bytes]";
  }
}
