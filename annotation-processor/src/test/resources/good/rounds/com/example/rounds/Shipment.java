package com.example.rounds;

import io.pgpubsub.Channel;

/** A hand-written plain channel, found in the first round. */
@Channel
public record Shipment(long id) {}
