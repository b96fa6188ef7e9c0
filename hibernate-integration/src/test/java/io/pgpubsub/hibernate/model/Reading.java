package io.pgpubsub.hibernate.model;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** A table written by many small concurrent transactions (the wake-up test). */
@Entity
@TriggerChannel
public class Reading {
  @Id public Long id;
  public double value;
}
