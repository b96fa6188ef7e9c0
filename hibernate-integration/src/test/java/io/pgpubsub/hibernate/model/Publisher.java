package io.pgpubsub.hibernate.model;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** A final entity: Hibernate cannot proxy it, so references to it are plain instances carrying the id. */
@Entity
public final class Publisher {
  @Id public Integer id;
  public String name;
}
