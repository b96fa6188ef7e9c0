package io.pgpubsub.hibernate.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.spi.DecodeException;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.hibernate.metamodel.mapping.DiscriminatorValueDetails;
import org.hibernate.persister.entity.EntityPersister;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes rows of one table into instances of one entity type (or, with a discriminator, of its concrete
 * subclasses). Schema drift is tolerated: columns the mapping does not know are ignored, attributes whose
 * columns are absent keep their defaults; both are logged at debug level, once per entity and column.
 */
final class ChannelPlan {

  private static final Logger log = LoggerFactory.getLogger(ChannelPlan.class);

  private final EntityPersister persister;
  private final String table;
  private final Map<String, EntityPlan> concrete;
  private final EntityPlan single;
  private final Part.Column discriminator;
  private final Set<String> known;
  private final Set<String> reported = ConcurrentHashMap.newKeySet();

  ChannelPlan(
      EntityPersister persister, String table, Map<String, EntityPlan> concrete, Part.Column discriminator) {
    this.persister = persister;
    this.table = table;
    this.concrete = Map.copyOf(concrete);
    this.discriminator = discriminator;
    EntityPlan own = concrete.get(persister.getEntityName());
    this.single = discriminator == null ? own : null;
    Set<String> all = new LinkedHashSet<>();
    concrete.values().forEach(p -> all.addAll(p.columns));
    if (discriminator != null) {
      all.add(discriminator.key);
    }
    this.known = Set.copyOf(all);
  }

  String table() {
    return table;
  }

  /** Why no row of this table can be decoded, or null. */
  String problem(String channel) {
    if (single == null && discriminator == null) {
      return "channel '"
          + channel
          + "': entity "
          + persister.getEntityName()
          + " is abstract and its table "
          + table
          + " has no discriminator column, so a stored row cannot tell which subclass to build; put"
          + " @TriggerChannel on the concrete subclasses or add a @DiscriminatorColumn";
    }
    return null;
  }

  Object decode(String channel, ObjectNode row) throws DecodeException {
    EntityPlan plan = single;
    if (plan == null) {
      plan = subclass(channel, row);
    }
    reportUnknown(plan, row);
    try {
      return plan.decode(row, this::reportMissing);
    } catch (Part.ColumnFailure e) {
      throw new DecodeException(
          "channel '"
              + channel
              + "': cannot decode column '"
              + e.column
              + "' of entity "
              + plan.entityName
              + " (JSON "
              + e.valueKind
              + "): "
              + e.getMessage(),
          e.getCause());
    } catch (RuntimeException e) {
      throw new DecodeException(
          "channel '" + channel + "': cannot build entity " + plan.entityName + ": " + e, e);
    }
  }

  private EntityPlan subclass(String channel, ObjectNode row) throws DecodeException {
    if (discriminator == null) {
      throw new DecodeException(
          "channel '"
              + channel
              + "': entity "
              + persister.getEntityName()
              + " is abstract and table "
              + table
              + " has no discriminator column to tell its concrete subclass; put the trigger channel on "
              + "the concrete subclass or add a @DiscriminatorColumn");
    }
    Object value;
    try {
      value = discriminator.read(row);
    } catch (Part.ColumnFailure e) {
      throw new DecodeException(
          "channel '"
              + channel
              + "': cannot decode discriminator column '"
              + e.column
              + "' of entity "
              + persister.getEntityName()
              + " (JSON "
              + e.valueKind
              + "): "
              + e.getMessage(),
          e.getCause());
    }
    if (value == Part.ABSENT) {
      throw new DecodeException(
          "channel '"
              + channel
              + "': discriminator column '"
              + discriminator.key
              + "' of entity "
              + persister.getEntityName()
              + " is not in the stored row");
    }
    DiscriminatorValueDetails details;
    try {
      details = persister.getDiscriminatorMapping().resolveDiscriminatorValue(value);
    } catch (RuntimeException e) {
      details = null;
    }
    EntityPlan plan = details == null ? null : concrete.get(details.getIndicatedEntity().getEntityName());
    if (plan == null) {
      throw new DecodeException(
          "channel '"
              + channel
              + "': discriminator column '"
              + discriminator.key
              + "' of entity "
              + persister.getEntityName()
              + " holds a value that names no concrete subclass (JSON "
              + JdbcValues.kind(row.get(discriminator.key))
              + ")");
    }
    return plan;
  }

  private void reportUnknown(EntityPlan plan, ObjectNode row) {
    if (!log.isDebugEnabled()) {
      return;
    }
    for (Iterator<String> names = row.fieldNames(); names.hasNext(); ) {
      String column = names.next();
      if (!known.contains(column) && reported.add("+" + plan.entityName + "." + column)) {
        log.debug(
            "table {}: column '{}' is not mapped by entity {}; ignored (schema drift? reported once)",
            table,
            column,
            plan.entityName);
      }
    }
  }

  private void reportMissing(EntityPlan plan, EntityPlan.Slot slot) {
    if (log.isDebugEnabled() && reported.add("-" + plan.entityName + "." + slot.name())) {
      StringBuilder columns = new StringBuilder();
      slot.part().columns(c -> columns.append(columns.length() == 0 ? "" : ", ").append(c));
      log.debug(
          "table {}: the stored row has no column {} for {}.{}; left at its default (excluded column or "
              + "schema drift? reported once)",
          table,
          columns,
          plan.entityName,
          slot.name());
    }
  }
}
