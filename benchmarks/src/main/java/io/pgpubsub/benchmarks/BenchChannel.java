package io.pgpubsub.benchmarks;

import io.pgpubsub.Schema;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;

/** The {@link BenchEvent} channel as the annotation processor generated it: definition and trigger DDL. */
final class BenchChannel {

  private BenchChannel() {}

  static ChannelDefinition definition() {
    for (ChannelDefinition c : Registries.channels(BenchChannel.class.getClassLoader())) {
      if (c.name().equals(BenchEvent.CHANNEL)) {
        return c;
      }
    }
    throw new IllegalStateException(
        "no generated channel '"
            + BenchEvent.CHANNEL
            + "' on the class path: the benchmarks module must be compiled with pgpubsub-processor");
  }

  /** The generated trigger DDL; both the library and the baseline run on it. */
  static String triggerDdl() {
    return Schema.triggerDdl(definition());
  }
}
