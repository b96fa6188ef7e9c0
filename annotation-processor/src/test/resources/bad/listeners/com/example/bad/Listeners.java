package com.example.bad;

import io.pgpubsub.ChannelListener;
import io.pgpubsub.Delivery;
import io.pgpubsub.PostDeleteListener;
import io.pgpubsub.PostInsertListener;
import io.pgpubsub.PostSaveListener;
import io.pgpubsub.PostUpdateListener;

public class Listeners {

  @PostSaveListener
  public String returnsSomething(Thing thing) {
    return "";
  }

  @PostSaveListener
  public void takesAString(Thing thing, String text) {}

  @PostSaveListener
  public void takesNoEntity(Delivery delivery) {}

  @PostSaveListener
  public void takesThree(Thing a, Thing b, Thing c) {}

  @PostSaveListener
  public void takesTwoEntities(Thing thing, Other other) {}

  @PostSaveListener
  public void listensToUnchanneled(Unchanneled u) {}

  @ChannelListener
  public void channelListenerOnEntity(Thing thing) {}

  @PostInsertListener // on a record
  public void entityListenerOnRecord(Event event) {}

  @PostSaveListener
  private void isPrivate(Thing thing) {}

  @PostDeleteListener
  public void neverRuns(Thing thing) {}

  @PostInsertListener
  @PostUpdateListener
  public void twoAnnotations(Thing thing) {}

  @PostSaveListener
  public void throwsThrowable(Thing thing) throws Throwable {}

  @PostSaveListener
  public void primitive(Thing thing, int count) {}

  public class Inner {
    @PostSaveListener
    public void inInnerClass(Thing thing) {}
  }

  @PostSaveListener
  public void fine(Thing old, Thing current, Delivery delivery) {}
}
