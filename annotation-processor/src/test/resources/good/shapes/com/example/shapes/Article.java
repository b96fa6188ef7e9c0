package com.example.shapes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** Mapped superclass attributes belong to this table. */
@Entity(name = "Article")
@TriggerChannel(watchColumns = "createdBy")
public class Article extends Auditable {

  @Id public Long id;

  public String title;
}
