package com.example.stream;

import io.pgpubsub.Operation;
import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** A stream channel: every change is kept 7 days (at most 100,000 events), read from a position. */
@Entity
@TriggerChannel(
    stream = true,
    retain = "P7D",
    retainCount = 100_000,
    operations = {Operation.INSERT, Operation.UPDATE},
    watchColumns = "status",
    excludeColumns = "label")
public class Shipment {
  @Id public Long id;
  public String status;
  @Column(name = "label_pdf") public String label;
}
