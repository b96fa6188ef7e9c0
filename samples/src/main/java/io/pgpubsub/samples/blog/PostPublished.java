package io.pgpubsub.samples.blog;

import io.pgpubsub.Channel;
import java.time.Instant;

/** A plain channel: no table, no trigger; the application sends it with Notifier.notify inside its transaction. */
@Channel
public record PostPublished(long postId, String title, Instant publishedAt) {}
