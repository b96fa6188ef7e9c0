package io.pgpubsub.hibernate.model;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.math.BigDecimal;

@Converter
public class MoneyConverter implements AttributeConverter<Money, String> {
  @Override
  public String convertToDatabaseColumn(Money money) {
    return money == null ? null : money.amount().toPlainString() + " " + money.currency();
  }

  @Override
  public Money convertToEntityAttribute(String s) {
    if (s == null) {
      return null;
    }
    int space = s.indexOf(' ');
    return new Money(new BigDecimal(s.substring(0, space)), s.substring(space + 1));
  }
}
