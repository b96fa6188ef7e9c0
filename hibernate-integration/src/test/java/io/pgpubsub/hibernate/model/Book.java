package io.pgpubsub.hibernate.model;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.ManyToOne;
import jakarta.persistence.OneToOne;
import java.time.LocalDateTime;

/** References of every kind: to a final entity, by a non-primary-key column, one-to-one. */
@Entity
public class Book {
  @Id public Long isbn;

  @ManyToOne public Publisher publisher;

  @ManyToOne
  @JoinColumn(name = "author_name", referencedColumnName = "name")
  public Author writer;

  @OneToOne public Author editor;

  public LocalDateTime printedAt;
}
