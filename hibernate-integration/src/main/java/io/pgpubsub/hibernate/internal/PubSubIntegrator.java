package io.pgpubsub.hibernate.internal;

import io.pgpubsub.hibernate.PubSubSettings;
import org.hibernate.boot.Metadata;
import org.hibernate.boot.spi.BootstrapContext;
import org.hibernate.dialect.PostgreSQLDialect;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.integrator.spi.Integrator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hooks pgpubsub into every SessionFactory (found through ServiceLoader): when the factory has been created,
 * {@link BootObserver} checks that each trigger channel sits on the table Hibernate maps for its entity, and
 * installs or validates the notification table and triggers. Nothing heavy happens here, while the factory
 * is still being built.
 */
public final class PubSubIntegrator implements Integrator {

  private static final Logger log = LoggerFactory.getLogger(PubSubIntegrator.class);

  @Override
  public void integrate(Metadata metadata, BootstrapContext bootstrapContext, SessionFactoryImplementor factory) {
    PubSubService service = factory.getServiceRegistry().getService(PubSubService.class);
    if (service == null) {
      log.debug("pgpubsub: no PubSubService in this SessionFactory's registry; boot integration skipped");
      return;
    }
    if (!service.config().enabled()) {
      log.debug("pgpubsub: {}=false, boot integration skipped", PubSubSettings.ENABLED);
      return;
    }
    if (!(factory.getJdbcServices().getDialect() instanceof PostgreSQLDialect)) {
      log.info(
          "pgpubsub: the dialect is {}, not PostgreSQL; boot integration skipped",
          factory.getJdbcServices().getDialect().getClass().getName());
      return;
    }
    factory.addObserver(new BootObserver(service));
  }
}
