package com.example.ordered;

import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** Ordered per customer: the changes of one customer's purchases run in commit order. */
@Entity
@TriggerChannel(ordered = true, orderKey = "customerId", deadKeyPolicy = DeadKeyPolicy.BLOCK)
public class Purchase {
  @Id public Long id;
  public Long customerId;
  public String status;
}
