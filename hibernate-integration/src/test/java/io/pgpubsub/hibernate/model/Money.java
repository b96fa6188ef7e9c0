package io.pgpubsub.hibernate.model;

import java.math.BigDecimal;
import java.util.Objects;

/** A value type stored through an AttributeConverter as "12.50 EUR". */
public final class Money {
  private final BigDecimal amount;
  private final String currency;

  public Money(BigDecimal amount, String currency) {
    this.amount = amount;
    this.currency = currency;
  }

  public BigDecimal amount() {
    return amount;
  }

  public String currency() {
    return currency;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Money m && m.amount.compareTo(amount) == 0 && m.currency.equals(currency);
  }

  @Override
  public int hashCode() {
    return Objects.hash(amount.stripTrailingZeros(), currency);
  }

  @Override
  public String toString() {
    return amount.toPlainString() + " " + currency;
  }
}
