package io.pgpubsub.spi;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Turns a stored row ({@code to_jsonb(OLD/NEW)}: column name to value) into an instance of a trigger
 * channel's entity type. The Hibernate integration implements it through Hibernate's mapping model.
 */
public interface RowDecoder {

  /**
   * @throws DecodeException naming the channel and column when the row cannot be decoded (the notification
   *     is then dead-lettered, not retried)
   */
  Object decode(ChannelDefinition channel, ObjectNode row) throws DecodeException;
}
