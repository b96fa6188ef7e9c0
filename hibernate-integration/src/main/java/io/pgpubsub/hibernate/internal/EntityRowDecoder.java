package io.pgpubsub.hibernate.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.spi.RowDecoder;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.hibernate.persister.entity.EntityPersister;

/**
 * {@link RowDecoder} through Hibernate's mapping model: a stored {@code to_jsonb(row)} becomes a detached
 * instance of the channel's entity class. The per-entity work (which column feeds which attribute, through
 * which JdbcMapping) is resolved on first use, or at boot for the channels the SessionFactory maps, and
 * cached.
 */
public final class EntityRowDecoder implements RowDecoder {

  private final SessionFactoryImplementor factory;
  private final PlanBuilder builder;
  private final ConcurrentMap<Class<?>, ChannelPlan> plans = new ConcurrentHashMap<>();

  public EntityRowDecoder(SessionFactoryImplementor factory) {
    this.factory = factory;
    this.builder = new PlanBuilder(factory.getWrapperOptions());
  }

  @Override
  public Object decode(ChannelDefinition channel, ObjectNode row) throws DecodeException {
    if (row == null) {
      return null;
    }
    return plan(channel.name(), channel.payloadType()).decode(channel.name(), row);
  }

  /** Decodes a row of {@code entityClass}'s own table (tests, tools). */
  public <T> T decode(Class<T> entityClass, ObjectNode row) throws DecodeException {
    return entityClass.cast(plan(entityClass.getName(), entityClass).decode(entityClass.getName(), row));
  }

  ChannelPlan plan(String channel, Class<?> type) throws DecodeException {
    ChannelPlan plan = plans.get(type);
    if (plan != null) {
      return plan;
    }
    EntityPersister persister = factory.getMappingMetamodel().findEntityDescriptor(type);
    if (persister == null) {
      throw new DecodeException(
          "channel '"
              + channel
              + "': "
              + type.getName()
              + " is not an entity of this SessionFactory; the Hibernate row decoder decodes only entities "
              + "the SessionFactory maps");
    }
    try {
      return plans.computeIfAbsent(type, t -> builder.build(persister));
    } catch (RuntimeException e) {
      throw new DecodeException(
          "channel '" + channel + "': cannot read the mapping of entity " + persister.getEntityName() + ": " + e,
          e);
    }
  }

  /**
   * Resolves the plan now (boot), so that mapping problems surface before the first notification.
   *
   * @return a problem that would make every row of the channel undecodable, or null
   */
  String prepare(ChannelDefinition channel) throws DecodeException {
    return plan(channel.name(), channel.payloadType()).problem(channel.name());
  }
}
