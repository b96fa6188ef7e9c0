package io.pgpubsub.hibernate.internal;

import io.pgpubsub.TriggerChannel;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.hibernate.engine.spi.SessionFactoryImplementor;

/**
 * Finds the entities of a SessionFactory that carry {@code @TriggerChannel} although no generated registry
 * declares them: the annotation processor did not run when they were compiled, so there is no trigger and no
 * dispatch code for them, and without this check their changes would silently notify nobody.
 */
final class MissingProcessor {

  private MissingProcessor() {}

  /** @return the problem, naming the entities and the fix, or null when every channel entity is registered */
  static String problem(SessionFactoryImplementor factory, List<ChannelDefinition> registered) {
    Set<Class<?>> known = new HashSet<>();
    for (ChannelDefinition c : registered) {
      known.add(c.payloadType());
    }
    Set<String> missing = new TreeSet<>();
    factory
        .getMappingMetamodel()
        .forEachEntityDescriptor(
            persister -> {
              Class<?> type = persister.getMappedClass();
              if (type != null && type.isAnnotationPresent(TriggerChannel.class) && !known.contains(type)) {
                missing.add(type.getName());
              }
            });
    if (missing.isEmpty()) {
      return null;
    }
    return "pgpubsub: "
        + String.join(", ", missing)
        + (missing.size() == 1 ? " is" : " are")
        + " annotated @TriggerChannel, but no generated channel registry declares "
        + (missing.size() == 1 ? "it" : "them")
        + ": "
        + Registries.missingProcessorFix();
  }
}
