package com.example.streams;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(retain = "P7D")
public class RetainNoStream {
  @Id public Long id;
}
