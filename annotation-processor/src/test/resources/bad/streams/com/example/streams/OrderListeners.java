package com.example.streams;

import io.pgpubsub.PostSaveListener;

public class OrderListeners {
  @PostSaveListener
  public void onSave(Order old, Order current) {}
}
