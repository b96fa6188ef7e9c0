package com.example.rounds;

import io.pgpubsub.ChannelListener;

public class Missing {

  @ChannelListener
  public static void onNothing(NeverGenerated event) {}
}
