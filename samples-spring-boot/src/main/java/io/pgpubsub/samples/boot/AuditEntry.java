package io.pgpubsub.samples.boot;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;

/** One status change of an order, written through the injected EntityManager. */
@Entity
public class AuditEntry {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  private Long id;

  private Long orderId;

  private String change;

  protected AuditEntry() {}

  public AuditEntry(Long orderId, String change) {
    this.orderId = orderId;
    this.change = change;
  }

  public Long getOrderId() {
    return orderId;
  }

  public String getChange() {
    return change;
  }
}
