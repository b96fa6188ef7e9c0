package io.pgpubsub.hibernate.model;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import java.math.BigDecimal;

/** A stream channel: its changes are kept (1 day, at most 10,000) and read from a position, typed. */
@Entity
@TriggerChannel(stream = true, retain = "P1D", retainCount = 10_000, excludeColumns = "labelPdf")
public class Consignment {
  @Id public Long id;
  public String status;
  @Column(precision = 10, scale = 2)
  public BigDecimal weightKg;
  public String labelPdf;

  public Consignment() {}

  public Consignment(Long id, String status, BigDecimal weightKg, String labelPdf) {
    this.id = id;
    this.status = status;
    this.weightKg = weightKg;
    this.labelPdf = labelPdf;
  }
}
