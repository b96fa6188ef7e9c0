package com.example.streams;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(stream = true, lockable = false,
    ordered = true)
public class OrderedStream {
  @Id public Long id;
}
