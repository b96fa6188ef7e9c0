package com.example.bad;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(
    watchColumns = {"title", "no_such_column"},
    excludeColumns = "secret",
    operations = io.pgpubsub.Operation.INSERT)
public class Columns {
  @Id public Long id;

  public String title;

  @Column(name = "pass_word")
  public String password;
}
