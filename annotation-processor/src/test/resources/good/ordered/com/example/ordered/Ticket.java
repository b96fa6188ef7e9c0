package com.example.ordered;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** Ordered per ticket (the default key: the id). */
@Entity
@TriggerChannel(ordered = true, watchColumns = "state")
public class Ticket {
  @Id public Long id;
  public String state;
}
