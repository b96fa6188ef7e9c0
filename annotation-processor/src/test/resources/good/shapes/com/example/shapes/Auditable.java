package com.example.shapes;

import jakarta.persistence.Column;
import jakarta.persistence.MappedSuperclass;
import java.time.Instant;

@MappedSuperclass
public abstract class Auditable {

  public Instant createdAt;

  @Column(name = "created_by")
  public String createdBy;
}
