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

  /**
   * What to do when classes carry {@code @TriggerChannel} or {@code @Channel} but no generated registry
   * declares them: the annotation processor did not run when they were compiled. The text names the fix, with
   * the Maven snippet for {@code maven-compiler-plugin}.
   */
  public static String missingProcessorFix() {
    return "pgpubsub-processor did not run when they were compiled (no generated registry, no"
        + " META-INF/services/" + ChannelRegistry.class.getName() + "). Add it to maven-compiler-plugin's"
        + " <configuration>: <annotationProcessorPaths><path><groupId>io.pgpubsub</groupId>"
        + "<artifactId>pgpubsub-processor</artifactId><version>" + version() + "</version></path>"
        + "</annotationProcessorPaths> (Gradle: annotationProcessor \"io.pgpubsub:pgpubsub-processor:" + version()
        + "\"), keep your other processors listed there too, and rebuild";
  }

  /** The version of pgpubsub-core on the class path, from its jar's Maven descriptor. */
  static String version() {
    try (java.io.InputStream in =
        Registries.class.getResourceAsStream("/META-INF/maven/io.pgpubsub/pgpubsub-core/pom.properties")) {
      if (in != null) {
        java.util.Properties p = new java.util.Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.isBlank()) {
          return v;
        }
      }
    } catch (java.io.IOException e) {
      // fall through: name the version in words
    }
    return "<the pgpubsub version you use>";
  }

  public static List<ChannelDefinition> channels() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return channels(cl != null ? cl : Registries.class.getClassLoader());
  }
}
