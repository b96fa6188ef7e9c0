package io.pgpubsub.samples.boot;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import java.math.BigDecimal;

/** Written by the order callback, in the transaction that removes the order's notification. */
@Entity
public class Invoice {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  private Long orderId;

  private BigDecimal amount;

  /** Who placed the order: the writer's notification context. */
  private String placedBy;

  /** The delivery attempt that wrote the invoice. */
  private int attempt;

  protected Invoice() {}

  public Invoice(Long orderId, BigDecimal amount, String placedBy, int attempt) {
    this.orderId = orderId;
    this.amount = amount;
    this.placedBy = placedBy;
    this.attempt = attempt;
  }

  public Long getId() {
    return id;
  }

  public Long getOrderId() {
    return orderId;
  }

  public BigDecimal getAmount() {
    return amount;
  }

  public String getPlacedBy() {
    return placedBy;
  }

  public int getAttempt() {
    return attempt;
  }
}
