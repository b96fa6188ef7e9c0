package io.pgpubsub.benchmarks;

import io.pgpubsub.Listener;
import java.util.List;

/** The library: {@link Listener} on the generated channel definition, with the benchmark's callback instance. */
final class LibraryConsumer implements Consumer {

  private final Listener listener;

  LibraryConsumer(String jdbcUrl, Recorder recorder, int workers, int batchSize) {
    BenchListeners callbacks = new BenchListeners(recorder);
    this.listener =
        Listener.builder()
            .name("bench")
            .jdbcUrl(jdbcUrl)
            .channelDefinitions(List.of(BenchChannel.definition()))
            .channels(BenchEvent.CHANNEL)
            .workers(workers)
            .batchSize(batchSize)
            .listenerFactory(type -> callbacks)
            .build();
  }

  @Override
  public void start() {
    listener.start();
  }

  @Override
  public void close() {
    listener.close();
  }
}
