package io.pgpubsub.hibernate.model;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.JoinColumns;
import jakarta.persistence.ManyToOne;

/** @IdClass composite key, plus a composite foreign key to OrderLine. */
@Entity
@TriggerChannel
@IdClass(ShipmentKey.class)
public class Shipment {
  @Id public String carrier;
  @Id public String trackingNumber;
  public int parcels;

  @ManyToOne
  @JoinColumns({
    @JoinColumn(name = "line_order", referencedColumnName = "orderNumber"),
    @JoinColumn(name = "line_no", referencedColumnName = "lineNo")
  })
  public OrderLine line;

  public Shipment() {}
}
