package com.example.quotes.listeners;

import com.example.quotes.Quote;
import io.pgpubsub.PostSaveListener;

public class QuoteListeners {

  @PostSaveListener
  public void onQuote(Quote quote) {}
}
