package io.pgpubsub.hibernate.model;

import jakarta.persistence.Embeddable;
import java.math.BigDecimal;
import java.time.LocalDate;

/** Stored as one JSON column (an aggregate embeddable). */
@Embeddable
public class Dimensions {
  public BigDecimal width;
  public BigDecimal height;
  public String unit;
  public LocalDate measuredOn;

  public Dimensions() {}

  public Dimensions(BigDecimal width, BigDecimal height, String unit, LocalDate measuredOn) {
    this.width = width;
    this.height = height;
    this.unit = unit;
    this.measuredOn = measuredOn;
  }
}
