package io.pgpubsub.samples.boot;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * An order. Boot's naming puts {@code updatedAt} in the column {@code updated_at}; the channel watches the
 * attributes by their Java names, and the processor follows Boot's naming without an option.
 */
@Entity
@TriggerChannel(name = "orders", watchColumns = {"status", "updatedAt"})
public class ShopOrder {

  public enum Status { PLACED, INVOICED, SHIPPED }

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  private String customer;

  private BigDecimal amount;

  @Enumerated(EnumType.STRING)
  private Status status = Status.PLACED;

  /** Free text; changing it alone notifies nobody (not watched). */
  private String note;

  private Instant updatedAt = Instant.now();

  protected ShopOrder() {}

  public ShopOrder(String customer, BigDecimal amount) {
    this.customer = customer;
    this.amount = amount;
  }

  public Long getId() {
    return id;
  }

  public String getCustomer() {
    return customer;
  }

  public BigDecimal getAmount() {
    return amount;
  }

  public Status getStatus() {
    return status;
  }

  public void setStatus(Status status) {
    this.status = status;
    this.updatedAt = Instant.now();
  }

  public String getNote() {
    return note;
  }

  public void setNote(String note) {
    this.note = note;
  }

  public Instant getUpdatedAt() {
    return updatedAt;
  }
}
