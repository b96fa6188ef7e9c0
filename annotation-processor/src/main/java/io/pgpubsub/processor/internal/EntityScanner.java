package io.pgpubsub.processor.internal;

import static io.pgpubsub.processor.internal.Annotations.find;
import static io.pgpubsub.processor.internal.Annotations.has;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.lang.model.element.AnnotationMirror;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeKind;
import javax.lang.model.type.TypeMirror;

/**
 * Reads the table and columns a JPA entity maps, the way Hibernate's defaults (JPA-compliant implicit naming)
 * and the configured physical naming would name them. Handles {@code @Table}, {@code @Column},
 * {@code @MappedSuperclass}, {@code @Embedded}/{@code @EmbeddedId}/{@code @Embeddable} with
 * {@code @AttributeOverride}, to-one join columns, and the three inheritance strategies.
 */
final class EntityScanner {

  private static final int MAX_EMBEDDING_DEPTH = 8;

  private final Options options;

  EntityScanner(Options options) {
    this.options = options;
  }

  /** The table {@code entity}'s own rows live in, as a trigger sees it. */
  TableModel scan(TypeElement entity) {
    List<TypeElement> chain = superclasses(entity);
    TypeElement root = entity;
    for (TypeElement t : chain) {
      if (has(t, Names.ENTITY)) {
        root = t;
      }
    }
    String strategy =
        find(root, Names.INHERITANCE)
            .map(a -> Annotations.enumConstant(a, "strategy", "SINGLE_TABLE"))
            .orElse("SINGLE_TABLE");
    boolean hierarchy =
        root != entity || has(root, Names.INHERITANCE) || has(root, Names.DISCRIMINATOR_COLUMN);
    boolean propertyAccess = propertyAccess(chain);

    TypeElement tableOwner = entity;
    List<TypeElement> sources = new ArrayList<>();
    Map<String, String> columns = new LinkedHashMap<>(); // database name -> attribute
    TableModel.Discriminator filter = null;
    List<String> ids = new ArrayList<>();
    switch (strategy) {
      case "JOINED" -> {
        // this table holds the attributes declared from this entity up to the next entity above it
        for (TypeElement t : chain) {
          if (t != entity && has(t, Names.ENTITY)) {
            break;
          }
          sources.add(t);
        }
        if (entity != root) {
          List<AnnotationMirror> pkJoin =
              Annotations.repeated(entity, Names.PRIMARY_KEY_JOIN_COLUMN, Names.PRIMARY_KEY_JOIN_COLUMNS);
          List<String> rootIds = idColumns(root, 0);
          for (int i = 0; i < rootIds.size(); i++) {
            String explicit = i < pkJoin.size() ? Annotations.string(pkJoin.get(i), "name", "") : "";
            String column = SqlNames.physical(explicit.isEmpty() ? rootIds.get(i) : explicit, options);
            columns.put(column, "(primary key join column)");
            ids.add(column);
          }
        } else if (has(root, Names.DISCRIMINATOR_COLUMN)) {
          discriminator(root, columns);
        }
      }
      case "TABLE_PER_CLASS" -> sources.addAll(chain);
      default -> {
        tableOwner = root;
        sources.addAll(chain);
        if (hierarchy) {
          String column = discriminator(root, columns);
          if (entity != root) {
            String value = discriminatorValue(entity, root);
            if (value != null) {
              filter = new TableModel.Discriminator(column, value);
            }
          }
        }
      }
    }

    Map<String, AnnotationMirror> overrides = new HashMap<>();
    for (TypeElement t : chain) {
      collectOverrides(t, "", overrides);
    }
    for (TypeElement source : sources) {
      for (Attribute a : attributes(source, propertyAccess)) {
        addColumns(a, "", overrides, propertyAccess, columns, 0);
      }
    }

    Optional<AnnotationMirror> table = find(tableOwner, Names.TABLE);
    String tableName = table.map(a -> Annotations.string(a, "name", "")).orElse("");
    String schema = table.map(a -> Annotations.string(a, "schema", "")).orElse("");
    if (ids.isEmpty()) {
      idColumns(root, 0).forEach(id -> ids.add(SqlNames.physical(id, options)));
    }
    List<TableModel.Column> sorted = new ArrayList<>();
    columns.forEach((name, attribute) -> sorted.add(new TableModel.Column(name, attribute)));
    sorted.sort(Comparator.comparing(TableModel.Column::name));
    return new TableModel(
        schema.isEmpty() ? null : SqlNames.physical(schema, options),
        SqlNames.physical(tableName.isEmpty() ? entityName(tableOwner) : tableName, options),
        sorted,
        filter,
        ids);
  }

  /** The entity name: {@code @Entity(name)} or the simple class name. */
  static String entityName(TypeElement entity) {
    String name = find(entity, Names.ENTITY).map(a -> Annotations.string(a, "name", "")).orElse("");
    return name.isEmpty() ? entity.getSimpleName().toString() : name;
  }

  /** Adds the discriminator column, returns its database name. */
  private String discriminator(TypeElement root, Map<String, String> columns) {
    String name =
        find(root, Names.DISCRIMINATOR_COLUMN).map(a -> Annotations.string(a, "name", "")).orElse("");
    String column = SqlNames.physical(name.isEmpty() ? "DTYPE" : name, options);
    columns.put(column, "(discriminator)");
    return column;
  }

  private static String discriminatorValue(TypeElement entity, TypeElement root) {
    Optional<AnnotationMirror> explicit = find(entity, Names.DISCRIMINATOR_VALUE);
    if (explicit.isPresent()) {
      return Annotations.string(explicit.get(), "value", null);
    }
    String type =
        find(root, Names.DISCRIMINATOR_COLUMN)
            .map(a -> Annotations.enumConstant(a, "discriminatorType", "STRING"))
            .orElse("STRING");
    // Hibernate's default value for STRING discriminators is the entity name; others have no portable default
    return type.equals("STRING") ? entityName(entity) : null;
  }

  /** The type itself and its superclasses that are entities or mapped superclasses, nearest first. */
  private static List<TypeElement> superclasses(TypeElement type) {
    List<TypeElement> chain = new ArrayList<>();
    chain.add(type);
    TypeMirror sup = type.getSuperclass();
    while (sup.getKind() == TypeKind.DECLARED) {
      TypeElement t = (TypeElement) ((DeclaredType) sup).asElement();
      if (has(t, Names.ENTITY) || has(t, Names.MAPPED_SUPERCLASS) || has(t, Names.EMBEDDABLE)) {
        chain.add(t);
      }
      sup = t.getSuperclass();
    }
    return chain;
  }

  /**
   * Property access when {@code @Access(PROPERTY)} is on a class of the hierarchy, or when {@code @Id} /
   * {@code @EmbeddedId} sits on a getter; field access otherwise (JPA's rule, field being the common case).
   */
  private static boolean propertyAccess(List<TypeElement> chain) {
    for (TypeElement t : chain) {
      Optional<AnnotationMirror> access = find(t, Names.ACCESS);
      if (access.isPresent()) {
        return Annotations.enumConstant(access.get(), "value", "FIELD").equals("PROPERTY");
      }
    }
    for (int i = chain.size() - 1; i >= 0; i--) {
      for (Element e : chain.get(i).getEnclosedElements()) {
        if (has(e, Names.ID) || has(e, Names.EMBEDDED_ID)) {
          return e.getKind() == ElementKind.METHOD;
        }
      }
    }
    return false;
  }

  /** A persistent attribute: a field, or a getter under property access. */
  private record Attribute(String name, Element element, TypeMirror type) {}

  private static List<Attribute> attributes(TypeElement type, boolean propertyAccess) {
    List<Attribute> out = new ArrayList<>();
    for (Element e : type.getEnclosedElements()) {
      if (e.getModifiers().contains(Modifier.STATIC) || has(e, Names.TRANSIENT)) {
        continue;
      }
      if (!propertyAccess && e.getKind() == ElementKind.FIELD) {
        if (!e.getModifiers().contains(Modifier.TRANSIENT)) {
          out.add(new Attribute(e.getSimpleName().toString(), e, e.asType()));
        }
      } else if (propertyAccess && e.getKind() == ElementKind.METHOD) {
        ExecutableElement m = (ExecutableElement) e;
        String n = m.getSimpleName().toString();
        if (!m.getParameters().isEmpty() || m.getReturnType().getKind() == TypeKind.VOID) {
          continue;
        }
        String property = null;
        if (n.startsWith("get") && n.length() > 3) {
          property = n.substring(3);
        } else if (n.startsWith("is") && n.length() > 2 && m.getReturnType().getKind() == TypeKind.BOOLEAN) {
          property = n.substring(2);
        }
        if (property != null) {
          out.add(new Attribute(decapitalize(property), e, m.getReturnType()));
        }
      }
    }
    return out;
  }

  /** {@code @AttributeOverride}s on {@code element}, keyed by full attribute path; outer ones win. */
  private static void collectOverrides(Element element, String prefix, Map<String, AnnotationMirror> into) {
    for (AnnotationMirror o : Annotations.repeated(element, Names.ATTRIBUTE_OVERRIDE, Names.ATTRIBUTE_OVERRIDES)) {
      String name = Annotations.string(o, "name", "");
      Annotations.annotation(o, "column").ifPresent(c -> into.putIfAbsent(prefix + name, c));
    }
  }

  private void addColumns(
      Attribute a,
      String prefix,
      Map<String, AnnotationMirror> overrides,
      boolean propertyAccess,
      Map<String, String> columns,
      int depth) {
    Element e = a.element();
    String path = prefix + a.name();
    if (has(e, Names.HIBERNATE_FORMULA)
        || has(e, Names.ONE_TO_MANY)
        || has(e, Names.MANY_TO_MANY)
        || has(e, Names.ELEMENT_COLLECTION)) {
      return;
    }
    Optional<AnnotationMirror> manyToOne = find(e, Names.MANY_TO_ONE);
    Optional<AnnotationMirror> oneToOne = find(e, Names.ONE_TO_ONE);
    if (manyToOne.isPresent() || oneToOne.isPresent()) {
      if (oneToOne.isPresent() && !Annotations.string(oneToOne.get(), "mappedBy", "").isEmpty()
          || has(e, Names.JOIN_TABLE)
          || has(e, Names.PRIMARY_KEY_JOIN_COLUMN)) {
        return; // no column in this table
      }
      AnnotationMirror relation = manyToOne.orElseGet(oneToOne::get);
      TypeElement target =
          Annotations.classValue(relation, "targetEntity").orElseGet(() -> typeElement(a.type()));
      List<String> targetIds = target == null ? List.of("id") : idColumns(target, depth + 1);
      List<AnnotationMirror> joins = Annotations.repeated(e, Names.JOIN_COLUMN, Names.JOIN_COLUMNS);
      if (joins.isEmpty()) {
        for (String id : targetIds) {
          columns.putIfAbsent(SqlNames.physical(a.name() + "_" + id, options), path);
        }
      } else {
        for (int i = 0; i < joins.size(); i++) {
          String name = Annotations.string(joins.get(i), "name", "");
          if (name.isEmpty()) {
            String ref = Annotations.string(joins.get(i), "referencedColumnName", "");
            name = a.name() + "_" + (ref.isEmpty() ? targetIds.get(Math.min(i, targetIds.size() - 1)) : ref);
          }
          columns.putIfAbsent(SqlNames.physical(name, options), path);
        }
      }
      return;
    }
    TypeElement type = typeElement(a.type());
    if (has(e, Names.EMBEDDED)
        || has(e, Names.EMBEDDED_ID)
        || (type != null && has(type, Names.EMBEDDABLE))) {
      if (type == null || depth >= MAX_EMBEDDING_DEPTH) {
        return;
      }
      collectOverrides(e, path + ".", overrides);
      for (TypeElement t : superclasses(type)) {
        for (Attribute inner : attributes(t, propertyAccess)) {
          addColumns(inner, path + ".", overrides, propertyAccess, columns, depth + 1);
        }
      }
      return;
    }
    AnnotationMirror override = overrides.get(path);
    String name = override == null ? "" : Annotations.string(override, "name", "");
    Optional<AnnotationMirror> column = find(e, Names.COLUMN);
    if (column.isPresent() && !Annotations.string(column.get(), "table", "").isEmpty()) {
      return; // a secondary table's column
    }
    if (name.isEmpty()) {
      name = column.map(c -> Annotations.string(c, "name", "")).orElse("");
    }
    columns.putIfAbsent(SqlNames.physical(name.isEmpty() ? a.name() : name, options), path);
  }

  /** Logical (not yet physical) names of the primary key columns of an entity, for implicit join columns. */
  private List<String> idColumns(TypeElement entity, int depth) {
    List<TypeElement> chain = superclasses(entity);
    boolean propertyAccess = propertyAccess(chain);
    List<String> ids = new ArrayList<>();
    for (int i = chain.size() - 1; i >= 0; i--) {
      for (Attribute a : attributes(chain.get(i), propertyAccess)) {
        if (has(a.element(), Names.ID)) {
          ids.add(
              find(a.element(), Names.COLUMN)
                  .map(c -> Annotations.string(c, "name", ""))
                  .filter(n -> !n.isEmpty())
                  .orElse(a.name()));
        } else if (has(a.element(), Names.EMBEDDED_ID) && depth < MAX_EMBEDDING_DEPTH) {
          TypeElement type = typeElement(a.type());
          if (type != null) {
            for (Attribute inner : attributes(type, propertyAccess)) {
              ids.add(
                  find(inner.element(), Names.COLUMN)
                      .map(c -> Annotations.string(c, "name", ""))
                      .filter(n -> !n.isEmpty())
                      .orElse(inner.name()));
            }
          }
        }
      }
    }
    return ids.isEmpty() ? List.of("id") : ids;
  }

  /** JavaBeans' rule: getURL -> URL, getName -> name. */
  private static String decapitalize(String name) {
    if (name.length() > 1 && Character.isUpperCase(name.charAt(0)) && Character.isUpperCase(name.charAt(1))) {
      return name;
    }
    return Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }

  private static TypeElement typeElement(TypeMirror type) {
    return type.getKind() == TypeKind.DECLARED ? (TypeElement) ((DeclaredType) type).asElement() : null;
  }
}
