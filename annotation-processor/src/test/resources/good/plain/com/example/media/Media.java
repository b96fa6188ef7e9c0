package com.example.media;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import jakarta.persistence.Transient;
import java.time.Instant;

@Entity
@TriggerChannel(watchColumns = {"title", "status_code"}, excludeColumns = "content")
public class Media {

  public static final String CONSTANT = "not a column";

  @Id @GeneratedValue public Long id;

  public String title;

  @Column(name = "status_code")
  public String status;

  public String content;

  public Instant createdAt;

  @Transient public String cached;

  public transient String alsoCached;
}
