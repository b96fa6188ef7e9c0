package io.pgpubsub.hibernate.model;

import jakarta.persistence.DiscriminatorColumn;
import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Inheritance;
import jakarta.persistence.InheritanceType;

/** Single-table inheritance root (abstract): rows decode to Car or Truck by the discriminator. */
@Entity
@TriggerChannel
@Inheritance(strategy = InheritanceType.SINGLE_TABLE)
@DiscriminatorColumn(name = "kind")
public abstract class Vehicle {
  @Id public Long id;
  public String plate;
}
