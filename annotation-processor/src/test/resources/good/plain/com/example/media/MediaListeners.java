package com.example.media;

import io.pgpubsub.Delivery;
import io.pgpubsub.PostDeleteListener;
import io.pgpubsub.PostInsertListener;
import io.pgpubsub.PostSaveListener;
import io.pgpubsub.PostUpdateListener;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.Session;

public class MediaListeners {

  public static final List<String> CALLS = new ArrayList<>();

  @PostSaveListener
  public void onSave(Media old, Media current) {
    CALLS.add("save " + (old == null ? null : old.title) + " -> " + current.title);
  }

  @PostInsertListener
  void onInsert(Media media, Delivery delivery) {
    CALLS.add("insert " + media.title + " #" + delivery.id());
  }

  @PostUpdateListener
  public static void onUpdate(Delivery delivery, Media old, Media current, Session session) {
    CALLS.add("update " + old.title + " -> " + current.title + " with " + session);
  }

  @PostDeleteListener
  public void onDelete(Media deleted, Connection connection) throws Exception {
    CALLS.add("delete " + deleted.title + " with " + connection);
  }
}
