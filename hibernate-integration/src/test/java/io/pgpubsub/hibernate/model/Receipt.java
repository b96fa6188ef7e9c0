package io.pgpubsub.hibernate.model;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import java.time.LocalDate;

/**
 * Columns named as a Spring Boot application names them: attribute names in camelCase, the physical naming
 * strategy makes them snake_case. The channel names them by attribute, as users write them.
 */
@Entity
@TriggerChannel(watchColumns = {"dueDate"}, excludeColumns = {"pdfBlob"})
public class Receipt {
  @Id public Long id;
  public String customerName;
  public LocalDate dueDate;
  public byte[] pdfBlob;
}
