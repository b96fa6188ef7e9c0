package io.pgpubsub.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The JSON settings writers ({@link io.pgpubsub.Notifier}) and listeners agree on.
 *
 * <p>Reading has no size limits: Jackson's defaults (strings of at most 20,000,000 characters, numbers of
 * 1,000 digits, nesting 500 deep) protect a server from hostile input, but payloads come from our own table,
 * written by our triggers from rows PostgreSQL accepted, and a row is never too large to be delivered.
 */
public final class Json {

  private Json() {}

  /**
   * A new mapper: java.time as ISO strings (JavaTimeModule), unknown properties ignored (a record that lost a
   * field still reads old payloads), decimals kept exact.
   */
  /** A JsonFactory whose reading accepts any string, number, name, nesting and document size. */
  public static JsonFactory unlimitedFactory() {
    return JsonFactory.builder()
        .streamReadConstraints(
            StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE)
                .maxNumberLength(Integer.MAX_VALUE)
                .maxNestingDepth(Integer.MAX_VALUE)
                .maxNameLength(Integer.MAX_VALUE)
                .maxDocumentLength(-1)
                .build())
        .build();
  }

  public static ObjectMapper newMapper() {
    return JsonMapper.builder(unlimitedFactory())
        .addModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .build();
  }
}
