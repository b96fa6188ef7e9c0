package com.example.shapes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.DiscriminatorColumn;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** Single-table root: the channel sees every row of the hierarchy. */
@Entity
@DiscriminatorColumn(name = "kind")
@TriggerChannel
public class Vehicle {

  @Id public Long id;

  public String plate;
}
