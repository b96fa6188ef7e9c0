package com.example.bad;

import io.pgpubsub.Channel;

@Channel
public class NotARecord {
  public String key;
}
