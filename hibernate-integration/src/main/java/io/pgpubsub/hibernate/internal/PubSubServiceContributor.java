package io.pgpubsub.hibernate.internal;

import org.hibernate.engine.config.spi.ConfigurationService;
import org.hibernate.service.spi.SessionFactoryServiceContributor;
import org.hibernate.service.spi.SessionFactoryServiceInitiator;
import org.hibernate.service.spi.SessionFactoryServiceInitiatorContext;
import org.hibernate.service.spi.SessionFactoryServiceRegistryBuilder;

/** Registers {@link PubSubService} with every SessionFactory (found through ServiceLoader). */
public final class PubSubServiceContributor implements SessionFactoryServiceContributor {

  @Override
  public void contribute(SessionFactoryServiceRegistryBuilder builder) {
    builder.addInitiator(Initiator.INSTANCE);
  }

  static final class Initiator implements SessionFactoryServiceInitiator<PubSubService> {
    static final Initiator INSTANCE = new Initiator();

    @Override
    public Class<PubSubService> getServiceInitiated() {
      return PubSubService.class;
    }

    @Override
    public PubSubService initiateService(SessionFactoryServiceInitiatorContext context) {
      return new PubSubService(
          context.getSessionFactory(),
          PubSubConfig.from(
              context.getServiceRegistry().requireService(ConfigurationService.class).getSettings()));
    }
  }
}
