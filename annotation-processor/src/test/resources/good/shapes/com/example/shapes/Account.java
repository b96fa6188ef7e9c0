package com.example.shapes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** Schema-qualified table, a primary key that is not called id. */
@Entity
@Table(schema = "billing", name = "accounts")
@TriggerChannel(operations = {io.pgpubsub.Operation.INSERT, io.pgpubsub.Operation.DELETE})
public class Account {

  @Id
  @Column(name = "account_number")
  public String number;

  public String owner;
}
