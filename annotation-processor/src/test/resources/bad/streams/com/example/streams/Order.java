package com.example.streams;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

@Entity
@Table(name = "orders")
@TriggerChannel(stream = true, retain = "PT12H")
public class Order {
  @Id public Long id;
  public String status;
}
