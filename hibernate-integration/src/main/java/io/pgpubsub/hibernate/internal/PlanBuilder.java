package io.pgpubsub.hibernate.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.hibernate.metamodel.mapping.AttributeMapping;
import org.hibernate.metamodel.mapping.BasicValuedModelPart;
import org.hibernate.metamodel.mapping.CompositeIdentifierMapping;
import org.hibernate.metamodel.mapping.EmbeddableMappingType;
import org.hibernate.metamodel.mapping.EmbeddableValuedModelPart;
import org.hibernate.metamodel.mapping.EntityDiscriminatorMapping;
import org.hibernate.metamodel.mapping.EntityIdentifierMapping;
import org.hibernate.metamodel.mapping.EntityMappingType;
import org.hibernate.metamodel.mapping.ForeignKeyDescriptor;
import org.hibernate.metamodel.mapping.ModelPart;
import org.hibernate.metamodel.mapping.NonAggregatedIdentifierMapping;
import org.hibernate.metamodel.mapping.PluralAttributeMapping;
import org.hibernate.metamodel.mapping.SelectableMapping;
import org.hibernate.metamodel.mapping.TableDetails;
import org.hibernate.metamodel.mapping.ValuedModelPart;
import org.hibernate.metamodel.mapping.internal.ToOneAttributeMapping;
import org.hibernate.persister.entity.EntityPersister;
import org.hibernate.proxy.ProxyFactory;
import org.hibernate.type.descriptor.WrapperOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds {@link ChannelPlan}s from Hibernate's runtime mapping model: the entity persister's identifier,
 * attribute and discriminator mappings, their selectables (column names after naming strategies) and their
 * JdbcMappings. This and the classes it builds are the only code that reads Hibernate's mapping SPI.
 */
final class PlanBuilder {

  private static final Logger log = LoggerFactory.getLogger(PlanBuilder.class);

  private final WrapperOptions options;

  PlanBuilder(WrapperOptions options) {
    this.options = options;
  }

  /**
   * The plan for rows of {@code persister}'s own table ({@link TableDetails mapped table}): with
   * single-table inheritance the discriminator picks the subclass; with joined inheritance only the
   * attributes stored in that table are read.
   */
  ChannelPlan build(EntityPersister persister) {
    TableDetails table = persister.getMappedTableDetails();
    String rowTable = table.getTableName();
    Map<String, String> idColumns = identifierColumns(persister, table);

    Map<String, EntityPlan> concrete = new LinkedHashMap<>();
    collectConcrete(persister, rowTable, idColumns, concrete);

    Part.Column discriminator = null;
    EntityDiscriminatorMapping dm = persister.getDiscriminatorMapping();
    if (concrete.size() > 1 || persister.isAbstract()) {
      if (dm != null && dm.hasPhysicalColumn() && !dm.isFormula()
          && rowTable.equals(dm.getContainingTableExpression())) {
        discriminator =
            new Part.Column(
                Identifiers.fold(dm.getSelectionExpression()),
                new ColumnDecoder(dm.getUnderlyingJdbcMapping(), options));
      }
    }
    return new ChannelPlan(persister, rowTable, concrete, discriminator);
  }

  /** Identifier column in the root table -> the column that holds it in {@code table}. */
  private static Map<String, String> identifierColumns(EntityPersister persister, TableDetails table) {
    Map<String, String> rename = new HashMap<>();
    if (table.isIdentifierTable()) {
      return rename;
    }
    // joined subclass table: its primary key columns (@PrimaryKeyJoinColumn) hold the identifier, in order
    List<String> idSelectables = new ArrayList<>();
    persister.getIdentifierMapping().forEachSelectable((i, s) -> idSelectables.add(s.getSelectionExpression()));
    TableDetails.KeyDetails key = table.getKeyDetails();
    for (int i = 0; i < idSelectables.size() && i < key.getColumnCount(); i++) {
      rename.put(idSelectables.get(i), key.getKeyColumn(i).getColumnName());
    }
    return rename;
  }

  private void collectConcrete(
      EntityMappingType type, String rowTable, Map<String, String> idColumns, Map<String, EntityPlan> out) {
    if (out.containsKey(type.getEntityName())) {
      return;
    }
    EntityPersister p = type.getEntityPersister();
    if (!p.isAbstract() && p.getRepresentationStrategy().getInstantiator().canBeInstantiated()) {
      out.put(type.getEntityName(), entityPlan(p, rowTable, idColumns));
    }
    for (EntityMappingType sub : type.getSubMappingTypes()) {
      collectConcrete(sub, rowTable, idColumns, out);
    }
  }

  private EntityPlan entityPlan(EntityPersister p, String rowTable, Map<String, String> idColumns) {
    List<EntityPlan.Slot> slots = new ArrayList<>();
    Function<SelectableMapping, String> idKey =
        s -> Identifiers.fold(idColumns.getOrDefault(s.getSelectionExpression(), s.getSelectionExpression()));
    Function<SelectableMapping, String> key = s -> Identifiers.fold(s.getSelectionExpression());

    EntityIdentifierMapping id = p.getIdentifierMapping();
    if (id instanceof NonAggregatedIdentifierMapping nonAggregated) {
      // @IdClass or several @Id: the id attributes are attributes of the entity itself
      EmbeddableMappingType virtual = nonAggregated.getVirtualIdEmbeddable();
      for (int i = 0; i < virtual.getNumberOfAttributeMappings(); i++) {
        AttributeMapping a = virtual.getAttributeMapping(i);
        Part part = part(a, idKey, p.getEntityName());
        if (part != null) {
          slots.add(new EntityPlan.Slot(a.getAttributeName(), part, a::setValue, primitive(a)));
        }
      }
    } else {
      Part part = part(id, idKey, p.getEntityName());
      if (part != null) {
        slots.add(
            new EntityPlan.Slot(
                id.getAttributeName() == null ? "id" : id.getAttributeName(),
                part,
                (entity, value) -> id.setIdentifier(entity, value, null),
                false));
      }
    }

    p.forEachAttributeMapping(
        a -> {
          if (!storedIn(a, rowTable)) {
            log.debug(
                "{}.{}: not stored in table {}, left at its default in decoded rows",
                p.getEntityName(),
                a.getAttributeName(),
                rowTable);
            return;
          }
          Part part = part(a, key, p.getEntityName());
          if (part != null) {
            slots.add(new EntityPlan.Slot(a.getAttributeName(), part, a::setValue, primitive(a)));
          }
        });
    return new EntityPlan(
        p.getEntityName(), p.getMappedClass(), p.getRepresentationStrategy().getInstantiator(), slots);
  }

  /** Whether the attribute's columns live in the row's table (not a joined superclass or secondary table). */
  private static boolean storedIn(AttributeMapping a, String rowTable) {
    if (a instanceof PluralAttributeMapping) {
      return true; // handled (skipped) in part()
    }
    if (a instanceof ToOneAttributeMapping toOne) {
      if (toOne.getSideNature() != ForeignKeyDescriptor.Nature.KEY) {
        return true; // skipped in part()
      }
      return rowTable.equals(toOne.getForeignKeyDescriptor().getKeyTable());
    }
    String[] table = new String[1];
    a.forEachSelectable(
        (i, s) -> {
          if (table[0] == null) {
            table[0] = s.getContainingTableExpression();
          }
        });
    return table[0] == null || rowTable.equals(table[0]);
  }

  private static boolean primitive(AttributeMapping a) {
    try {
      return a.getPropertyAccess().getGetter().getReturnTypeClass().isPrimitive();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** A part for any model part; null for what a stored row cannot hold (collections, inverse sides). */
  private Part part(ModelPart mp, Function<SelectableMapping, String> key, String entityName) {
    if (mp instanceof PluralAttributeMapping plural) {
      log.debug(
          "{}.{}: collections are not in the stored row; decoded entities keep the field's initial value",
          entityName,
          plural.getAttributeName());
      return null;
    }
    if (mp instanceof ToOneAttributeMapping toOne) {
      return reference(toOne, key, entityName);
    }
    if (mp instanceof EmbeddableValuedModelPart embedded) {
      return embeddable(embedded.getEmbeddableTypeDescriptor(), key, entityName, mp.getPartName());
    }
    if (mp instanceof BasicValuedModelPart basic) {
      if (basic.isFormula()) {
        return null;
      }
      if (basic.getJdbcMapping().getJdbcType().isLob()) {
        log.warn(
            "{}.{}: column {} is a PostgreSQL large object; the stored row holds its oid, not its content, so"
                + " it is left null in decoded rows (exclude it with @TriggerChannel(excludeColumns))",
            entityName,
            mp.getPartName(),
            basic.getSelectionExpression());
        return null;
      }
      return new Part.Column(key.apply(basic), new ColumnDecoder(basic.getJdbcMapping(), options));
    }
    log.debug("{}.{}: mapping {} is not decoded from stored rows", entityName, mp.getPartName(), mp.getClass().getSimpleName());
    return null;
  }

  private Part embeddable(
      EmbeddableMappingType type, Function<SelectableMapping, String> key, String entityName, String name) {
    if (type.getAggregateMapping() != null) {
      // a JSON aggregate column holds the whole embeddable: Hibernate's own extractor deserializes it
      SelectableMapping aggregate = type.getAggregateMapping();
      if (!aggregate.getJdbcMapping().getJdbcType().isJson()) {
        log.warn(
            "{}.{}: {} aggregate columns are not decoded from stored rows; left null",
            entityName,
            name,
            aggregate.getJdbcMapping().getJdbcType().getFriendlyName());
        return null;
      }
      return new Part.Aggregate(key.apply(aggregate), aggregate.getJdbcMapping(), options);
    }
    Part[] parts = new Part[type.getNumberOfAttributeMappings()];
    for (int i = 0; i < parts.length; i++) {
      parts[i] = part(type.getAttributeMapping(i), key, entityName);
    }
    return new Part.Embeddable(type, parts);
  }

  /** A to-one's foreign key in this row, as a reference to the target that carries only its key. */
  private Part reference(ToOneAttributeMapping toOne, Function<SelectableMapping, String> key, String entityName) {
    if (toOne.getSideNature() != ForeignKeyDescriptor.Nature.KEY || toOne.hasJoinTable()) {
      log.debug(
          "{}.{}: inverse side or join table, the stored row does not hold it",
          entityName,
          toOne.getAttributeName());
      return null;
    }
    ForeignKeyDescriptor fk = toOne.getForeignKeyDescriptor();
    Part keyPart = keyPart(fk.getKeyPart(), key, entityName);
    if (keyPart == null) {
      return null;
    }
    EntityPersister target = toOne.getEntityMappingType().getEntityPersister();
    ValuedModelPart targetPart = fk.getTargetPart();
    Function<Object, Object> reference = referenceFactory(target, targetPart);
    if (reference == null) {
      log.warn(
          "{}.{}: cannot build a reference to {} without a query (abstract, unproxyable, or keyed by a "
              + "non-attribute); it stays null in decoded rows",
          entityName,
          toOne.getAttributeName(),
          target.getEntityName());
      return null;
    }
    return new Part.Reference(keyPart, reference);
  }

  private Part keyPart(ValuedModelPart keyPart, Function<SelectableMapping, String> key, String entityName) {
    if (keyPart instanceof BasicValuedModelPart basic) {
      return new Part.Column(key.apply(basic), new ColumnDecoder(basic.getJdbcMapping(), options));
    }
    if (keyPart instanceof EmbeddableValuedModelPart embedded) {
      return embeddable(embedded.getEmbeddableTypeDescriptor(), key, entityName, keyPart.getPartName());
    }
    return null;
  }

  /**
   * References: Hibernate's own uninitialized proxy for the target, detached (no session, so no query ever
   * runs; reading anything but the id throws LazyInitializationException), like {@code getReference}. When
   * the target cannot be proxied (final class), a new instance with only the key set.
   */
  private static Function<Object, Object> referenceFactory(EntityPersister target, ValuedModelPart targetPart) {
    if (targetPart instanceof EntityIdentifierMapping) {
      EntityIdentifierMapping id = target.getIdentifierMapping();
      if (id instanceof CompositeIdentifierMapping composite && !composite.hasContainingClass()) {
        // several @Id without @IdClass: the entity is its own id; an instance with the id attributes set
        return null;
      }
      ProxyFactory proxies = target.getRepresentationStrategy().getProxyFactory();
      if (proxies != null) {
        return value -> proxies.getProxy(value, null);
      }
      if (!target.isAbstract()) {
        return value -> {
          Object instance = target.getRepresentationStrategy().getInstantiator().instantiate();
          id.setIdentifier(instance, value, null);
          return instance;
        };
      }
      return null;
    }
    if (targetPart instanceof AttributeMapping attribute && !target.isAbstract()) {
      return value -> {
        Object instance = target.getRepresentationStrategy().getInstantiator().instantiate();
        attribute.setValue(instance, value);
        return instance;
      };
    }
    return null;
  }
}
