package io.pgpubsub.web;

import io.pgpubsub.StreamPosition;
import io.pgpubsub.StreamReader;
import io.pgpubsub.StreamSubscriber;

/**
 * Where a channel's events come from: by default the node's {@link StreamReader} of the channel's stream. Other
 * feeds exist for tests and for the benchmark's in-memory baseline; an application does not need one.
 */
public interface EventFeed extends AutoCloseable {

  /** Where a subscription that wants new events only starts. */
  StreamPosition head();

  /** Every event after {@code after}, in position order, each once (see {@link StreamReader#subscribe}). */
  StreamReader.Subscription subscribe(StreamPosition after, StreamSubscriber subscriber);

  @Override
  void close();

  /** The feed of an already started reader (closing the feed closes the reader). */
  static EventFeed of(StreamReader reader) {
    return new EventFeed() {
      @Override
      public StreamPosition head() {
        return reader.head();
      }

      @Override
      public StreamReader.Subscription subscribe(StreamPosition after, StreamSubscriber subscriber) {
        return reader.subscribe(after, subscriber);
      }

      @Override
      public void close() {
        reader.close();
      }

      @Override
      public String toString() {
        return reader.toString();
      }
    };
  }
}
