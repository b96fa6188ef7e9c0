package com.example.bad;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(ordered = true,
    orderKey = "customer")
public class OrderKeys {
  @Id Long id;
  Long customerId;
}
