package com.example.bench;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import java.time.Instant;

@Entity
@TriggerChannel
public class Event {
  @Id public Long id;

  public String title;

  public String status;

  public Instant createdAt;
}
