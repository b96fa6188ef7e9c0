package io.pgpubsub.hibernate.model;

import jakarta.persistence.EmbeddedId;
import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;

/** @EmbeddedId composite key. */
@Entity
@TriggerChannel
public class OrderLine {
  @EmbeddedId public OrderLineId id;
  public String product;
  public int quantity;

  public OrderLine() {}

  public OrderLine(OrderLineId id, String product, int quantity) {
    this.id = id;
    this.product = product;
    this.quantity = quantity;
  }
}
