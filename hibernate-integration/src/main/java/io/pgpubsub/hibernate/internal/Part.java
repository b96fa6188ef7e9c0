package io.pgpubsub.hibernate.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.hibernate.metamodel.mapping.EmbeddableMappingType;
import org.hibernate.metamodel.spi.EmbeddableInstantiator;

/**
 * Reads one attribute (or identifier, or foreign key) from a stored row. Built once per entity from
 * Hibernate's mapping model, immutable, shared by worker threads.
 */
abstract class Part {

  /** Returned when none of the part's columns is in the row: the attribute keeps its default. */
  static final Object ABSENT = new Object();

  /** A column whose value does not convert; the plan adds entity and channel. */
  static final class ColumnFailure extends Exception {
    private static final long serialVersionUID = 1L;
    final String column;
    final String valueKind;

    ColumnFailure(String column, String valueKind, JdbcValues.Mismatch cause) {
      super(cause.getMessage(), cause);
      this.column = column;
      this.valueKind = valueKind;
    }
  }

  abstract Object read(ObjectNode row) throws ColumnFailure;

  /** The row keys (column names) this part reads. */
  abstract void columns(Consumer<String> out);

  /** One column, through Hibernate's JdbcMapping of that column. */
  static final class Column extends Part {
    final String key;
    final ColumnDecoder decoder;

    Column(String key, ColumnDecoder decoder) {
      this.key = key;
      this.decoder = decoder;
    }

    @Override
    Object read(ObjectNode row) throws ColumnFailure {
      JsonNode node = row.get(key);
      if (node == null) {
        return ABSENT;
      }
      try {
        return decoder.decode(node);
      } catch (JdbcValues.Mismatch e) {
        throw new ColumnFailure(key, JdbcValues.kind(node), e);
      }
    }

    @Override
    void columns(Consumer<String> out) {
      out.accept(key);
    }
  }

  /**
   * An embeddable ({@code @Embedded}, {@code @EmbeddedId}, a composite foreign key): its attributes, then
   * Hibernate's instantiator for the embeddable (records and constructors included). Null when all of its
   * columns are null, as when Hibernate loads it.
   */
  static final class Embeddable extends Part {
    final EmbeddableMappingType type;
    final EmbeddableInstantiator instantiator;
    final Part[] parts; // null entries: attributes not stored in the row (collections)

    Embeddable(EmbeddableMappingType type, Part[] parts) {
      this.type = type;
      this.instantiator = type.getRepresentationStrategy().getInstantiator();
      this.parts = parts;
    }

    @Override
    Object read(ObjectNode row) throws ColumnFailure {
      Object[] values = values(row);
      return values == null ? ABSENT : values.length == 0 ? null : instantiate(values);
    }

    /** The attribute values; null when no column is in the row; empty when all are null. */
    Object[] values(ObjectNode row) throws ColumnFailure {
      Object[] values = new Object[parts.length];
      boolean present = false;
      boolean allNull = true;
      for (int i = 0; i < parts.length; i++) {
        Object v = parts[i] == null ? ABSENT : parts[i].read(row);
        if (v == ABSENT) {
          v = null;
        } else {
          present = true;
        }
        values[i] = v;
        allNull &= v == null;
      }
      if (!present) {
        return null;
      }
      return allNull ? new Object[0] : values;
    }

    Object instantiate(Object[] values) {
      return instantiator.instantiate(() -> values);
    }

    @Override
    void columns(Consumer<String> out) {
      for (Part p : parts) {
        if (p != null) {
          p.columns(out);
        }
      }
    }
  }

  /** A to-one foreign key: the key's value, turned into a reference to the target entity. */
  static final class Reference extends Part {
    final Part key;
    final Function<Object, Object> reference;

    Reference(Part key, Function<Object, Object> reference) {
      this.key = key;
      this.reference = reference;
    }

    @Override
    Object read(ObjectNode row) throws ColumnFailure {
      Object id = key.read(row);
      if (id == ABSENT || id == null) {
        return id;
      }
      return reference.apply(id);
    }

    @Override
    void columns(Consumer<String> out) {
      key.columns(out);
    }
  }

  /** A JSON aggregate embeddable: one column, deserialized by Hibernate's JSON JdbcType. */
  static final class Aggregate extends Part {
    final String key;
    private final org.hibernate.metamodel.mapping.JdbcMapping mapping;
    private final org.hibernate.type.descriptor.WrapperOptions options;

    Aggregate(
        String key,
        org.hibernate.metamodel.mapping.JdbcMapping mapping,
        org.hibernate.type.descriptor.WrapperOptions options) {
      this.key = key;
      this.mapping = mapping;
      this.options = options;
    }

    @Override
    Object read(ObjectNode row) throws ColumnFailure {
      JsonNode node = row.get(key);
      if (node == null) {
        return ABSENT;
      }
      if (node.isNull()) {
        return null;
      }
      try {
        return mapping.getJdbcValueExtractor().extract(TextResultSet.of(JsonbText.of(node)), 1, options);
      } catch (java.sql.SQLException | RuntimeException e) {
        throw new ColumnFailure(
            key,
            JdbcValues.kind(node),
            new JdbcValues.Mismatch("the JSON aggregate does not deserialize: " + e.getMessage(), e));
      }
    }

    @Override
    void columns(Consumer<String> out) {
      out.accept(key);
    }
  }

  static void collect(List<? extends Part> parts, Consumer<String> out) {
    for (Part p : parts) {
      p.columns(out);
    }
  }
}
