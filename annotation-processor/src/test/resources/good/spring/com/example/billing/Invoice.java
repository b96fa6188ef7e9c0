package com.example.billing;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import java.time.LocalDate;

/** Written the way a Spring Boot application writes it: camelCase attributes, named by attribute. */
@Entity
@TriggerChannel(watchColumns = {"dueDate"}, excludeColumns = {"pdfBlob"})
public class Invoice {
  @Id public Long id;
  public String customerName;
  public LocalDate dueDate;
  public byte[] pdfBlob;
}
