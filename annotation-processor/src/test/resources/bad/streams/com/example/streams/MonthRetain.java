package com.example.streams;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(stream = true, retain = "P1M")
public class MonthRetain {
  @Id public Long id;
}
