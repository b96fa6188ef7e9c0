package io.pgpubsub.samples.blog;

import io.pgpubsub.ChannelListener;
import io.pgpubsub.Delivery;
import io.pgpubsub.PostSaveListener;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/** Callbacks of the broadcast author channel and of the plain PostPublished channel; one instance per process. */
public class BlogListeners {

  /** This process's cache of author names, kept fresh by the broadcast channel. */
  public final Map<Long, String> authorNames = new ConcurrentHashMap<>();

  public final Queue<String> announcements = new ConcurrentLinkedQueue<>();

  @PostSaveListener
  public void authorSaved(Author current) {
    authorNames.put(current.getId(), current.getName());
  }

  @ChannelListener
  public void announce(PostPublished post, Delivery delivery) {
    announcements.add(
        "post #" + post.postId() + " \"" + post.title() + "\" published by " + delivery.context().getOrDefault("user", "?"));
  }
}
