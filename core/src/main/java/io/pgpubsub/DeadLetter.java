package io.pgpubsub;

import java.time.Instant;

/**
 * A notification that exhausted its attempts or could not be decoded.
 *
 * @param id the notification's id
 * @param channel its channel
 * @param payload the stored payload, as JSON text
 * @param attempts attempts made
 * @param createdAt when the writer stored it
 * @param deadAt when it became dead
 * @param lastError the last failure: exception class, message and stack trace
 */
public record DeadLetter(
    long id, String channel, String payload, int attempts, Instant createdAt, Instant deadAt, String lastError) {}
