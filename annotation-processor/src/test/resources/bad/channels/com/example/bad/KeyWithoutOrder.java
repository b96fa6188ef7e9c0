package com.example.bad;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(orderKey = "customerId")
public class KeyWithoutOrder {
  @Id Long id;
  Long customerId;
}
