package com.example.a;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel
class Hidden {
  @Id public Long id;
}
