package io.pgpubsub;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.internal.Json;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * One event of a stream.
 *
 * @param stream the stream's name
 * @param position where it is in the stream (see {@link StreamPosition})
 * @param payload the stored JSON: what {@link Streams#append} was given, or for a table captured by {@link
 *     Streams#capture} {@code {"op","table","old","new","context"}}
 * @param createdAt when the writing transaction started ({@code now()} in it)
 */
public record StreamEvent(String stream, StreamPosition position, String payload, Instant createdAt) {

  private static final ObjectMapper MAPPER = Json.newMapper();

  /** The payload read as {@code type} with the library's default mapper (JavaTimeModule, ISO dates). */
  public <T> T payloadAs(Class<T> type) {
    return payloadAs(type, MAPPER);
  }

  /** The payload read as {@code type} with your mapper. */
  public <T> T payloadAs(Class<T> type, ObjectMapper mapper) {
    try {
      return mapper.readValue(payload, type);
    } catch (java.io.IOException e) {
      throw new UncheckedIOException(
          "cannot read event " + position + " of stream '" + stream + "' as " + type.getName(), e);
    }
  }
}
