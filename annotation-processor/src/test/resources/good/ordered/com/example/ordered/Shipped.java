package com.example.ordered;

import io.pgpubsub.Channel;

/** A plain ordered channel: the key is given to Notifier.notify(connection, record, key). */
@Channel(ordered = true)
public record Shipped(long purchaseId) {}
