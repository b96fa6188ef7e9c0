package io.pgpubsub.hibernate.internal;

import io.pgpubsub.spi.ChannelDefinition;
import java.util.List;
import org.hibernate.SessionFactory;
import org.hibernate.engine.config.spi.ConfigurationService;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.service.Service;

/**
 * The integration's state for one SessionFactory, kept as a Hibernate service of that factory (no statics):
 * settings, the row decoder with its cached per-entity plans, the Session resources, and the trigger channels
 * this factory maps (known once it has started).
 */
public final class PubSubService implements Service {

  private final SessionFactoryImplementor factory;
  private final PubSubConfig config;
  private volatile EntityRowDecoder decoder;
  private volatile SessionResources resources;
  private volatile List<ChannelDefinition> channels = List.of();

  PubSubService(SessionFactoryImplementor factory, PubSubConfig config) {
    this.factory = factory;
    this.config = config;
  }

  /** The service of {@code sessionFactory}; created on the spot when the factory was built without it. */
  public static PubSubService of(SessionFactory sessionFactory) {
    SessionFactoryImplementor sf = sessionFactory.unwrap(SessionFactoryImplementor.class);
    PubSubService service = sf.getServiceRegistry().getService(PubSubService.class);
    if (service == null) {
      service =
          new PubSubService(
              sf,
              PubSubConfig.from(sf.getServiceRegistry().requireService(ConfigurationService.class).getSettings()));
    }
    return service;
  }

  PubSubConfig config() {
    return config;
  }

  public SessionFactoryImplementor factory() {
    return factory;
  }

  /** The notification table's schema ({@code hibernate.pgpubsub.schema}). */
  public String schema() {
    return config.schema();
  }

  public EntityRowDecoder decoder() {
    EntityRowDecoder d = decoder;
    if (d == null) {
      synchronized (this) {
        if (decoder == null) {
          decoder = new EntityRowDecoder(factory);
        }
        d = decoder;
      }
    }
    return d;
  }

  public SessionResources resources() {
    SessionResources r = resources;
    if (r == null) {
      synchronized (this) {
        if (resources == null) {
          resources = new SessionResources(factory);
        }
        r = resources;
      }
    }
    return r;
  }

  /** The trigger channels whose entity this SessionFactory maps (empty until it has started). */
  public List<ChannelDefinition> channels() {
    return channels;
  }

  void channels(List<ChannelDefinition> channels) {
    this.channels = List.copyOf(channels);
  }
}
