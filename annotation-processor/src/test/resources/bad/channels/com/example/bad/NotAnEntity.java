package com.example.bad;

import io.pgpubsub.TriggerChannel;

@TriggerChannel
public class NotAnEntity {
  public Long id;
}
