package com.example.orders;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** Not a channel: the callback writes it in the transaction that removes the notification. */
@Entity
public class Shipment {
  @Id public long orderId;
  public String item;

  protected Shipment() {}

  public Shipment(long orderId, String item) {
    this.orderId = orderId;
    this.item = item;
  }
}
