package io.pgpubsub.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds the generated {@link ChannelRegistry} implementations on a class path. */
public final class Registries {

  private Registries() {}

  /**
   * All channels of all registries visible to {@code loader}, sorted by name.
   *
   * @throws IllegalStateException when two registries (two modules) declare the same channel name
   */
  public static List<ChannelDefinition> channels(ClassLoader loader) {
    Map<String, ChannelDefinition> byName = new HashMap<>();
    Map<String, String> origin = new HashMap<>();
    for (ChannelRegistry registry : ServiceLoader.load(ChannelRegistry.class, loader)) {
      for (ChannelDefinition channel : registry.channels()) {
        ChannelDefinition previous = byName.putIfAbsent(channel.name(), channel);
        if (previous != null) {
          throw new IllegalStateException(
              "channel '"
                  + channel.name()
                  + "' is declared twice: by "
                  + previous.payloadType().getName()
                  + " (registry "
                  + origin.get(channel.name())
                  + ") and by "
                  + channel.payloadType().getName()
                  + " (registry "
                  + registry.getClass().getName()
                  + "); give one of them another name");
        }
        origin.put(channel.name(), registry.getClass().getName());
      }
    }
    List<ChannelDefinition> all = new ArrayList<>(byName.values());
    all.sort(Comparator.comparing(ChannelDefinition::name));
    return List.copyOf(all);
  }

  public static List<ChannelDefinition> channels() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return channels(cl != null ? cl : Registries.class.getClassLoader());
  }
}
