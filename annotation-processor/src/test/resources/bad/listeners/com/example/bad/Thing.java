package com.example.bad;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(operations = {io.pgpubsub.Operation.INSERT, io.pgpubsub.Operation.UPDATE})
public class Thing {
  @Id public Long id;
}
