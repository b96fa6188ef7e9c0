package com.example.bad;

import io.pgpubsub.Channel;

@Channel(lockable = false, ordered = true)
public record OrderedRecordBroadcast(String key) {}
