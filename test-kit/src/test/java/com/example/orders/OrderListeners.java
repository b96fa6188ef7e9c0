package com.example.orders;

import io.pgpubsub.PostInsertListener;
import org.hibernate.Session;

public class OrderListeners {

  @PostInsertListener
  public void ship(PurchaseOrder order, Session session) {
    if (order.item.isBlank()) {
      throw new IllegalArgumentException("order " + order.id + " has no item");
    }
    session.persist(new Shipment(order.id, order.item));
  }
}
