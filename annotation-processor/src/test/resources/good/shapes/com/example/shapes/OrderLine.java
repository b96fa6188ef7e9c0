package com.example.shapes;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** A composite primary key, and a channel name at the 63-byte limit (the SQL names get a hash). */
@Entity
@Table(name = "order_line")
@TriggerChannel(name = "order_lines_with_a_channel_name_that_is_exactly_63_bytes_long_x")
public class OrderLine {

  @EmbeddedId public OrderLineId id;

  public int quantity;
}
