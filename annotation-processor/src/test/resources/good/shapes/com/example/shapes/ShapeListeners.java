package com.example.shapes;

import io.pgpubsub.ChannelListener;
import io.pgpubsub.Delivery;
import io.pgpubsub.PostDeleteListener;
import io.pgpubsub.PostSaveListener;
import jakarta.persistence.EntityManager;

public final class ShapeListeners {

  @ChannelListener
  public static void onInvalidated(CacheInvalidated event, Delivery delivery) {}

  @PostSaveListener
  public void onCar(Car car, EntityManager em) {}

  @PostDeleteListener
  public void onAccountDeleted(Account account) {}

  /** nested static classes work too */
  public static final class Nested {

    @PostSaveListener
    public void onCardPayment(CardPayment old, CardPayment current) {}
  }
}
