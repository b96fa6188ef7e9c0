package io.pgpubsub.hibernate.model;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.PrimaryKeyJoinColumn;

/** Joined subclass with its own key column name: its table holds dog_id and its own attributes. */
@Entity
@TriggerChannel
@PrimaryKeyJoinColumn(name = "dog_id")
public class Dog extends Animal {
  public String breed;
  public boolean goodBoy;
}
