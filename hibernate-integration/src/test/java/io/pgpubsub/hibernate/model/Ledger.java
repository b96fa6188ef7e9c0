package io.pgpubsub.hibernate.model;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** A row whose callback does what {@link #action} says with its transaction (SessionGuardTest). */
@Entity
@TriggerChannel
public class Ledger {
  @Id public Long id;
  public String action;

  public Ledger() {}

  public Ledger(Long id, String action) {
    this.id = id;
    this.action = action;
  }
}
