package io.pgpubsub.spi;

import java.util.List;

/**
 * The channels and listeners of one compilation unit. The annotation processor generates one
 * implementation per module and registers it under {@code META-INF/services/io.pgpubsub.spi.ChannelRegistry};
 * the runtime finds all of them with {@link java.util.ServiceLoader} (see {@link Registries}).
 */
public interface ChannelRegistry {

  /** The channels, sorted by name. */
  List<ChannelDefinition> channels();
}
