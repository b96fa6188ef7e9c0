package com.example.bad;

import io.pgpubsub.Channel;

@Channel(name = "shared")
public record Second(String value) {}
