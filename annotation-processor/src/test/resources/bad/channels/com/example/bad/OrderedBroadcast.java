package com.example.bad;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(lockable = false,
    ordered = true)
public class OrderedBroadcast {
  @Id Long id;
}
