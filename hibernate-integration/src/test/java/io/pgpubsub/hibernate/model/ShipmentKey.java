package io.pgpubsub.hibernate.model;

import java.io.Serializable;
import java.util.Objects;

public class ShipmentKey implements Serializable {
  private static final long serialVersionUID = 1L;
  public String carrier;
  public String trackingNumber;

  public ShipmentKey() {}

  public ShipmentKey(String carrier, String trackingNumber) {
    this.carrier = carrier;
    this.trackingNumber = trackingNumber;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ShipmentKey k && Objects.equals(k.carrier, carrier) && Objects.equals(k.trackingNumber, trackingNumber);
  }

  @Override
  public int hashCode() {
    return Objects.hash(carrier, trackingNumber);
  }
}
