package io.pgpubsub.hibernate.model;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Inheritance;
import jakarta.persistence.InheritanceType;

/** Joined inheritance root. */
@Entity
@Inheritance(strategy = InheritanceType.JOINED)
public class Animal {
  @Id public Long id;
  public String name;
}
