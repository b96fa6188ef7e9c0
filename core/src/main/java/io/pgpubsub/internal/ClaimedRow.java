package io.pgpubsub.internal;

import java.time.Instant;

/**
 * One notification as read from the table (or, for broadcast events, from the NOTIFY payload).
 *
 * @param id the notification's id; 0 for a broadcast event that was never stored
 * @param attempts failed attempts so far (the current attempt is {@code attempts + 1})
 * @param orderKey the key of a notification of an ordered channel, else null
 */
record ClaimedRow(long id, String channel, String payload, int attempts, Instant createdAt, String orderKey) {

  ClaimedRow(long id, String channel, String payload, int attempts, Instant createdAt) {
    this(id, channel, payload, attempts, createdAt, null);
  }
}
