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
 *
 * <p>Values are decoded from the JSON itself, scale included: the dispatcher reads rows with exact BigDecimals
 * (trailing zeros kept), and JSON columns reach the FormatMapper as PostgreSQL prints them ({@link JsonbText}).
 * Letting PostgreSQL rebuild a typed row instead ({@code jsonb_populate_record(null::table, payload->'new')})
 * so that Hibernate's extractors read a real ResultSet was measured and rejected (issue 11, see the README's
 * "Decoding"): it needs a query per batch on a connection (the claim serves many tables at once; broadcast
 * events have no transaction at all), it moves the decoding from the listeners, which scale out, to the
 * database, which does not (about 6 us of PostgreSQL CPU per row to parse and rebuild it, more than this
 * decoder's 3-4 us in all; a batch read that way cost 33-48 us per row against 3-4 us here), one value that
 * no longer fits the table fails the whole statement inside the claiming transaction with an error that names
 * no column, and a key missing from the row becomes NULL, so an excluded column could no longer keep the
 * attribute's default.
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
