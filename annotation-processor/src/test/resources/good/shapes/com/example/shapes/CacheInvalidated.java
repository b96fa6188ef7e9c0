package com.example.shapes;

import io.pgpubsub.Channel;

/** A plain channel: no table, no trigger. */
@Channel(lockable = false)
public record CacheInvalidated(String key) {}
