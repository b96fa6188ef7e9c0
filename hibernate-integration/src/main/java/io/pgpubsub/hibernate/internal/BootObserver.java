package io.pgpubsub.hibernate.internal;

import io.pgpubsub.hibernate.PubSubBootException;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.spi.Registries;
import java.util.ArrayList;
import java.util.List;
import org.hibernate.SessionFactory;
import org.hibernate.SessionFactoryObserver;
import org.hibernate.persister.entity.EntityPersister;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs when the SessionFactory has been created (after Hibernate's own schema management): finds the trigger
 * channels whose entities this factory maps, checks their tables against the mapping, resolves their decoding
 * plans, and installs or validates the database objects. Any problem fails the boot with one message that
 * lists all of them.
 */
final class BootObserver implements SessionFactoryObserver {

  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(BootObserver.class);

  private final transient PubSubService service;

  BootObserver(PubSubService service) {
    this.service = service;
  }

  @Override
  public void sessionFactoryCreated(SessionFactory factory) {
    List<ChannelDefinition> mapped = new ArrayList<>();
    List<ChannelDefinition> all;
    try {
      all = Registries.channels();
    } catch (IllegalStateException e) {
      throw new PubSubBootException("pgpubsub: " + e.getMessage(), e);
    }
    String missingProcessor = MissingProcessor.problem(service.factory(), all);
    if (missingProcessor != null) {
      throw new PubSubBootException(missingProcessor);
    }
    for (ChannelDefinition channel : all) {
      if (!channel.trigger()) {
        continue;
      }
      EntityPersister persister =
          service.factory().getMappingMetamodel().findEntityDescriptor(channel.payloadType());
      if (persister == null) {
        log.debug(
            "pgpubsub: channel '{}': {} is not an entity of this SessionFactory, skipped",
            channel.name(),
            channel.payloadType().getName());
        continue;
      }
      mapped.add(channel);
    }
    if (all.isEmpty()) {
      log.debug("pgpubsub: no channel registry on the class path; nothing to install or check");
      return;
    }
    service.channels(mapped);

    List<String> problems = new ArrayList<>();
    for (ChannelDefinition channel : mapped) {
      try {
        String problem = service.decoder().prepare(channel);
        if (problem != null) {
          problems.add(problem);
        }
      } catch (DecodeException e) {
        problems.add(e.getMessage());
      }
    }
    DatabaseSetup setup = new DatabaseSetup(service);
    problems.addAll(setup.run(mapped));
    if (!problems.isEmpty()) {
      throw new PubSubBootException(
          "pgpubsub cannot start with this SessionFactory:\n  - " + String.join("\n  - ", problems));
    }
  }
}
