package com.example.shapes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.DiscriminatorValue;
import jakarta.persistence.Entity;

/** Single-table subclass: the trigger is on the root's table and fires for cars only. */
@Entity
@DiscriminatorValue("car")
@TriggerChannel(name = "cars")
public class Car extends Vehicle {

  public int seats;
}
