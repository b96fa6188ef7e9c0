package com.example.streams;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(stream = true,
    retain = "7 days",
    retainCount = -1)
public class BadRetain {
  @Id public Long id;
}
