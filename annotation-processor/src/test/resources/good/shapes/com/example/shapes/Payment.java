package com.example.shapes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Inheritance;
import jakarta.persistence.InheritanceType;

/** Joined root: its own table only. */
@Entity
@Inheritance(strategy = InheritanceType.JOINED)
@TriggerChannel
public class Payment {

  @Id public Long paymentId;

  public long amountCents;
}
