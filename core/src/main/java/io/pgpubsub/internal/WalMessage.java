package io.pgpubsub.internal;

import java.time.Instant;

/**
 * One change read from the slot: a transactional logical message with prefix {@code pgpubsub:<channel>}.
 *
 * @param commitLsn the commit position of its transaction (stream order)
 * @param seq its index among the transaction's messages (1, 2, ...)
 * @param lsn the message's own WAL position: stable across replays, so it is the {@code Delivery.id()}
 * @param key the order key of an ordered channel's message, else null
 */
record WalMessage(
    long commitLsn,
    int seq,
    long lsn,
    String channel,
    String key,
    String payload,
    Instant committedAt,
    WalEngine.Tx tx) {

  /** True when this message is at or before the position (commitLsn, seq). */
  boolean atOrBefore(long posLsn, int posSeq) {
    return commitLsn < posLsn || (commitLsn == posLsn && seq <= posSeq);
  }

  /**
   * The key and payload of an ordered channel's content, {@code <length>:<key><payload>} (length in characters),
   * or null when the content is not of that shape.
   */
  static String[] splitKeyed(String content) {
    int colon = content.indexOf(':');
    if (colon < 1 || colon > 10) {
      return null;
    }
    int chars;
    try {
      chars = Integer.parseInt(content.substring(0, colon));
    } catch (NumberFormatException e) {
      return null;
    }
    int start = colon + 1;
    if (chars < 0 || content.codePointCount(start, content.length()) < chars) {
      return null;
    }
    int end = content.offsetByCodePoints(start, chars);
    return new String[] {content.substring(start, end), content.substring(end)};
  }
}
