package com.example.bad;

import io.pgpubsub.Channel;

@Channel
public record Event(String value) {}
