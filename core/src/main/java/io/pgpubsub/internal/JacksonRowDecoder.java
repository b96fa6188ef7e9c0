package io.pgpubsub.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.spi.RowDecoder;

/**
 * The row decoder used when none is configured (no Hibernate): Jackson maps snake_case column names to the
 * payload type's properties. The Hibernate integration replaces it with one that follows the entity mapping.
 */
public final class JacksonRowDecoder implements RowDecoder {

  private final ObjectMapper rows;

  public JacksonRowDecoder(ObjectMapper mapper) {
    this.rows = mapper.copy().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  }

  @Override
  public Object decode(ChannelDefinition channel, ObjectNode row) throws DecodeException {
    try {
      return rows.treeToValue(row, channel.payloadType());
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw Dispatcher.decodeError(channel.name(), "row", channel.payloadType(), e);
    }
  }

  static String path(Exception e) {
    if (e instanceof JsonMappingException) {
      StringBuilder b = new StringBuilder();
      for (JsonMappingException.Reference r : ((JsonMappingException) e).getPath()) {
        if (r.getFieldName() != null) {
          if (b.length() > 0) {
            b.append('.');
          }
          b.append(r.getFieldName());
        } else if (r.getIndex() >= 0) {
          b.append('[').append(r.getIndex()).append(']');
        }
      }
      return b.length() == 0 ? null : b.toString();
    }
    return null;
  }
}
