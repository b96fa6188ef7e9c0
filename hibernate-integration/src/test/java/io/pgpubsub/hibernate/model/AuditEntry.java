package io.pgpubsub.hibernate.model;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** Written by a callback through its Session (no channel). */
@Entity
public class AuditEntry {
  @Id public Long notificationId;
  public String text;

  public AuditEntry() {}

  public AuditEntry(Long notificationId, String text) {
    this.notificationId = notificationId;
    this.text = text;
  }
}
