package io.pgpubsub.hibernate.model;

import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Embedded;
import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.Version;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;
import org.hibernate.type.YesNoConverter;

/** Every basic mapping the decoder supports, with the naming strategy's column names. */
@Entity
@TriggerChannel
public class Article {
  @Id
  @Column(name = "article_code")
  public String code;

  @Version public int version;

  public String title;
  public int wordCount;
  public Integer nullableCount;
  public long views;
  public Long bigViews;
  public short shortValue;
  public byte byteValue;
  public boolean featured;
  public Boolean reviewed;
  public double ratio;
  public float weight;

  @Column(precision = 38, scale = 18)
  public BigDecimal price;

  @Column(precision = 40, scale = 0)
  public BigInteger hugeNumber;

  public char grade;
  public UUID externalId;
  public byte[] thumbnail;

  public Instant publishedAt;
  public OffsetDateTime editedAt;
  public ZonedDateTime scheduledAt;
  public LocalDateTime localStamp;
  public LocalDate issueDate;
  public LocalTime issueTime;
  public Duration readingTime;
  public java.util.Date legacyDate;

  @Enumerated(EnumType.ORDINAL)
  public Status ordinalStatus;

  @Enumerated(EnumType.STRING)
  public Status stringStatus;

  @Convert(converter = MoneyConverter.class)
  public Money fee;

  @Convert(converter = YesNoConverter.class)
  public Boolean archived;

  @Embedded public Address address;

  @Embedded
  @AttributeOverride(name = "street", column = @Column(name = "billing_street"))
  @AttributeOverride(name = "zipCode", column = @Column(name = "billing_zip"))
  @AttributeOverride(name = "city", column = @Column(name = "billing_city"))
  public Address billingAddress;

  @Embedded public GeoPoint location;

  @ElementCollection public List<String> tags = new ArrayList<>();

  @ManyToOne(fetch = FetchType.LAZY)
  public Author author;

  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Object> attributes;

  @JdbcTypeCode(SqlTypes.JSON)
  public Preferences preferences;

  public String[] keywords;

  public List<Integer> scores;

  public Status[] history;

  public int[] ranks;

  @Embedded
  @JdbcTypeCode(SqlTypes.JSON)
  public Dimensions dimensions;

  /** A PostgreSQL large object: the row holds its oid only. */
  @jakarta.persistence.Lob public String body;
}
