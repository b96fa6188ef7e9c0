package io.pgpubsub.hibernate.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import org.hibernate.metamodel.spi.EntityInstantiator;

/**
 * How to build one concrete entity class from a row of one table: which column feeds which attribute,
 * resolved once from Hibernate's mapping model.
 */
final class EntityPlan {

  /** One settable piece of the entity: the identifier, an id attribute or an attribute. */
  record Slot(String name, Part part, BiConsumer<Object, Object> setter, boolean primitive) {}

  /** Receives the attributes that keep their default because none of their columns is in the row. */
  interface MissingListener {
    void missing(EntityPlan plan, Slot slot);
  }

  final String entityName;
  final Class<?> javaClass;
  private final EntityInstantiator instantiator;
  final List<Slot> slots;
  /** Every row key the plan reads. */
  final Set<String> columns;

  EntityPlan(String entityName, Class<?> javaClass, EntityInstantiator instantiator, List<Slot> slots) {
    this.entityName = entityName;
    this.javaClass = javaClass;
    this.instantiator = instantiator;
    this.slots = List.copyOf(slots);
    java.util.Set<String> cols = new java.util.LinkedHashSet<>();
    for (Slot s : slots) {
      s.part().columns(cols::add);
    }
    this.columns = java.util.Collections.unmodifiableSet(cols);
  }

  Object decode(ObjectNode row, MissingListener missing) throws Part.ColumnFailure {
    Object entity = instantiator.instantiate();
    for (Slot slot : slots) {
      Object value = slot.part().read(row);
      if (value == Part.ABSENT) {
        missing.missing(this, slot);
      } else if (value != null || !slot.primitive()) {
        slot.setter().accept(entity, value);
      }
    }
    return entity;
  }
}
