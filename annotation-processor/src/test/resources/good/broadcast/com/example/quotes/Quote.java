package com.example.quotes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(name = "quotes", lockable = false)
public class Quote {

  @Id public Long id;

  public String text;
}
