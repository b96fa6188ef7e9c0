package io.pgpubsub.spring.app;

import io.pgpubsub.PostInsertListener;

/** Not a bean, no no-argument constructor: the starter creates it through the application context. */
public class ParcelListeners {

  private final Received received;

  public ParcelListeners(Received received) {
    this.received = received;
  }

  @PostInsertListener
  public void arrived(Parcel parcel) {
    received.labels.add(parcel.label);
  }
}
