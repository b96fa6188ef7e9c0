package io.pgpubsub.spring.app;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A bean the listener gets by constructor injection: what the callbacks saw. */
public class Received {
  public final List<String> labels = new CopyOnWriteArrayList<>();
}
