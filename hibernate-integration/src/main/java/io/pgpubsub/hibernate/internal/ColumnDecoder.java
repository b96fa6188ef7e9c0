package io.pgpubsub.hibernate.internal;

import com.fasterxml.jackson.databind.JsonNode;
import org.hibernate.metamodel.mapping.JdbcMapping;
import org.hibernate.type.BasicPluralType;
import org.hibernate.type.descriptor.WrapperOptions;
import org.hibernate.type.descriptor.converter.spi.BasicValueConverter;
import org.hibernate.type.descriptor.java.JavaType;
import org.hibernate.type.descriptor.jdbc.JdbcType;

/**
 * Decodes the JSON value of one column into the attribute's domain value, the way Hibernate reads that
 * column from a ResultSet: the value the driver would return (in the class the column's {@link JdbcType}
 * extracts), then {@link JavaType#wrap} of the column's JDBC-side Java type, then the attribute's value
 * converter ({@code AttributeConverter}, enum and boolean converters) when it has one. JSON and XML columns go
 * through the SessionFactory's {@code FormatMapper}; arrays element by element through the element type.
 */
final class ColumnDecoder {

  private final JdbcMapping jdbcMapping;
  private final JavaType<Object> jdbcJavaType;
  private final BasicValueConverter<Object, Object> converter;
  private final Kind kind;
  private final Class<?> preferred;
  private final ColumnDecoder element;
  private final WrapperOptions options;

  private enum Kind {
    SCALAR,
    JSON,
    XML,
    ARRAY
  }

  @SuppressWarnings("unchecked")
  ColumnDecoder(JdbcMapping jdbcMapping, WrapperOptions options) {
    this.jdbcMapping = jdbcMapping;
    this.options = options;
    this.jdbcJavaType = (JavaType<Object>) jdbcMapping.getJdbcJavaType();
    this.converter = (BasicValueConverter<Object, Object>) jdbcMapping.getValueConverter();
    JdbcType jdbcType = jdbcMapping.getJdbcType();
    if (jdbcType.isJson()) {
      kind = Kind.JSON;
      element = null;
    } else if (jdbcType.isXml()) {
      kind = Kind.XML;
      element = null;
    } else if (jdbcMapping instanceof BasicPluralType<?, ?> plural && jdbcType.isArray()) {
      kind = Kind.ARRAY;
      element = new ColumnDecoder(plural.getElementType(), options);
    } else {
      kind = Kind.SCALAR;
      element = null;
    }
    this.preferred = kind == Kind.SCALAR ? jdbcType.getPreferredJavaTypeClass(options) : null;
  }

  /** The domain value of the column, {@code node} being its JSON value (JSON null for SQL NULL). */
  Object decode(JsonNode node) throws JdbcValues.Mismatch {
    Object relational = node == null || node.isNull() ? null : relational(node);
    return converter == null ? relational : converter.toDomainValue(relational);
  }

  private Object relational(JsonNode node) throws JdbcValues.Mismatch {
    try {
      switch (kind) {
        case JSON:
          // the column's text as PostgreSQL prints it, read by the SessionFactory's FormatMapper: what
          // session.find gets from the driver, so decimals keep their scale and a String attribute its text
          return options.getJsonFormatMapper().fromString(JsonbText.of(node), jdbcJavaType, options);
        case XML:
          return options.getXmlFormatMapper().fromString(JdbcValues.text(node), jdbcJavaType, options);
        case ARRAY:
          return jdbcJavaType.wrap(elements(node), options);
        default:
          return jdbcJavaType.wrap(
              JdbcValues.toJdbc(node, preferred, options.getJdbcTimeZone()), options);
      }
    } catch (JdbcValues.Mismatch e) {
      throw e;
    } catch (RuntimeException e) {
      throw new JdbcValues.Mismatch(
          "JSON "
              + JdbcValues.kind(node)
              + " does not convert to "
              + jdbcJavaType.getTypeName()
              + " ("
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage()
              + ")",
          e);
    }
  }

  /** The array as the driver's {@code Array.getArray()} would give it: one JDBC value per element. */
  private Object[] elements(JsonNode node) throws JdbcValues.Mismatch {
    if (!node.isArray()) {
      throw new JdbcValues.Mismatch("JSON " + JdbcValues.kind(node) + " where an array was expected");
    }
    Object[] out = new Object[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode e = node.get(i);
      out[i] = e == null || e.isNull() ? null : element.jdbcElement(e);
    }
    return out;
  }

  private Object jdbcElement(JsonNode node) throws JdbcValues.Mismatch {
    switch (kind) {
      case JSON:
      case XML:
      case ARRAY:
        return relational(node);
      default:
        return JdbcValues.toJdbc(node, preferred, options.getJdbcTimeZone());
    }
  }

  JdbcMapping jdbcMapping() {
    return jdbcMapping;
  }

  /** The Java type attribute values end up in (for messages). */
  String domainTypeName() {
    return jdbcMapping.getMappedJavaType().getTypeName();
  }
}
