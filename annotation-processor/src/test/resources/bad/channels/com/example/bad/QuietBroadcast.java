package com.example.bad;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(lockable = false, pgNotify = false)
public class QuietBroadcast {
  @Id public Long id;
}
