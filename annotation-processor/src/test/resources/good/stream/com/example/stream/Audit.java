package com.example.stream;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** A stream channel that keeps everything and sends no NOTIFY (readers poll). */
@Entity
@TriggerChannel(name = "audit-log", stream = true, pgNotify = false)
public class Audit {
  @Id public Long id;
  public String what;
}
