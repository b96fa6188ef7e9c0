package com.example.orders;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

@Entity
@Table(name = "purchase_order")
@TriggerChannel
public class PurchaseOrder {
  @Id public long id;
  public String item;

  protected PurchaseOrder() {}

  public PurchaseOrder(long id, String item) {
    this.id = id;
    this.item = item;
  }
}
