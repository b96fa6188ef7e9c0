package io.pgpubsub.hibernate.model;

import jakarta.persistence.Embeddable;
import java.io.Serializable;
import java.util.Objects;

@Embeddable
public class OrderLineId implements Serializable {
  private static final long serialVersionUID = 1L;
  public long orderNumber;
  public int lineNo;

  public OrderLineId() {}

  public OrderLineId(long orderNumber, int lineNo) {
    this.orderNumber = orderNumber;
    this.lineNo = lineNo;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OrderLineId other && other.orderNumber == orderNumber && other.lineNo == lineNo;
  }

  @Override
  public int hashCode() {
    return Objects.hash(orderNumber, lineNo);
  }
}
