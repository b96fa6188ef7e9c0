package com.example.bad;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(name = "shared")
public class First {
  @Id public Long id;
}
