package io.pgpubsub.hibernate.model;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** Decimals with a fixed scale, in columns and inside JSON columns, as an accounting application maps them. */
@Entity
@TriggerChannel
public class Invoice {

  /** A JSON column holding a record of decimals. */
  public record Totals(BigDecimal net, BigDecimal tax, List<BigDecimal> lines) {}

  @Id public Long id;

  @Column(precision = 10, scale = 2)
  public BigDecimal amount;

  @Column(precision = 12, scale = 4)
  public BigDecimal rate;

  /** Big values: 28 integer and 10 fraction digits. */
  @Column(precision = 38, scale = 10)
  public BigDecimal balance;

  @JdbcTypeCode(SqlTypes.JSON)
  public Totals totals;

  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Object> figures;

  /** JSON kept as text by the application: Hibernate hands it over as PostgreSQL prints it. */
  @JdbcTypeCode(SqlTypes.JSON)
  public String rawJson;

  /** An aggregate embeddable: one JSON column, deserialized by Hibernate's own JSON type. */
  @Embedded
  @JdbcTypeCode(SqlTypes.JSON)
  public Dimensions dimensions;

  public Invoice() {}
}
