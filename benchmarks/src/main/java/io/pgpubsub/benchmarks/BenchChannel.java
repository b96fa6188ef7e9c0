package io.pgpubsub.benchmarks;

import io.pgpubsub.Schema;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;

/** The {@link BenchEvent} channel as the annotation processor generated it: definition and trigger DDL. */
final class BenchChannel {

  private BenchChannel() {}

  static ChannelDefinition definition() {
    return definition(BenchEvent.CHANNEL);
  }

  private static ChannelDefinition definition(String channel) {
    for (ChannelDefinition c : Registries.channels(BenchChannel.class.getClassLoader())) {
      if (c.name().equals(channel)) {
        return c;
      }
    }
    throw new IllegalStateException(
        "no generated channel '"
            + channel
            + "' on the class path: the benchmarks module must be compiled with pgpubsub-processor");
  }

  /** The generated trigger DDL; both the library and the baseline run on it. */
  static String triggerDdl() {
    return Schema.triggerDdl(definition());
  }

  /** The generated trigger DDL of {@link BenchPolledEvent}: the same table, {@code pgNotify = false}. */
  static String polledTriggerDdl() {
    return Schema.triggerDdl(definition(BenchPolledEvent.CHANNEL));
  }
}
