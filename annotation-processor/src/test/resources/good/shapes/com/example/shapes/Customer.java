package com.example.shapes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.AttributeOverride;
import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.OneToMany;
import java.util.List;

/** Embedded attributes (with overrides) and a to-one join column. */
@Entity
@TriggerChannel(excludeColumns = {"work.street", "zip_code"})
public class Customer {

  @Id public Long id;

  @Embedded public Address home;

  @Embedded
  @AttributeOverride(name = "street", column = @Column(name = "work_street"))
  @AttributeOverride(name = "city", column = @Column(name = "work_city"))
  @AttributeOverride(name = "zip", column = @Column(name = "work_zip"))
  public Address work;

  @ManyToOne public Account account;

  @OneToMany(mappedBy = "customer")
  public List<Article> articles;
}
