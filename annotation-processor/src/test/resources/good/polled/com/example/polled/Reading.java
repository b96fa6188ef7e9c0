package com.example.polled;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** A table written by many small transactions: its trigger stores each row and sends no NOTIFY. */
@Entity
@TriggerChannel(pgNotify = false)
public class Reading {
  @Id public Long id;
  public double value;
}
