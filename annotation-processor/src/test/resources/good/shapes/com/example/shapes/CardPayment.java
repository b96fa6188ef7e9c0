package com.example.shapes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.PrimaryKeyJoinColumn;
import jakarta.persistence.Table;

/** Joined subclass: the trigger goes on card_payment, with that table's columns only. */
@Entity
@Table(name = "card_payment")
@PrimaryKeyJoinColumn(name = "payment_id")
@TriggerChannel(name = "card_payments")
public class CardPayment extends Payment {

  public String cardNumber;
}
