package com.example.bad;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;

@Entity
@TriggerChannel(name = "a_channel_name_that_is_sixty_four_bytes_long_which_is_one_too_many")
public class TooLong {
  @Id public Long id;
}
