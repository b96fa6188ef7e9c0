package io.pgpubsub.spring.app;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

@Entity
@Table(name = "parcel")
@TriggerChannel
public class Parcel {
  @Id public long id;
  public String label;

  protected Parcel() {}

  public Parcel(long id, String label) {
    this.id = id;
    this.label = label;
  }
}
