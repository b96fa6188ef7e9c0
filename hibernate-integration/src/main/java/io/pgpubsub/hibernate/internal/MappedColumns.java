package io.pgpubsub.hibernate.internal;

import io.pgpubsub.spi.ChannelDefinition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.hibernate.metamodel.mapping.AttributeMapping;
import org.hibernate.metamodel.mapping.EmbeddableValuedModelPart;
import org.hibernate.metamodel.mapping.EntityDiscriminatorMapping;
import org.hibernate.metamodel.mapping.SelectableMapping;
import org.hibernate.persister.entity.EntityPersister;

/**
 * The columns Hibernate maps for an entity in its own table, by database name (as PostgreSQL stores it), with
 * the attribute each comes from. Read from the runtime metamodel (selectables), which already reflects the
 * physical naming strategy, {@code @Column}, quoting and overrides: the names the trigger must use.
 */
final class MappedColumns {

  /** column (folded) -> attribute path. */
  private final Map<String, String> columns;

  private MappedColumns(Map<String, String> columns) {
    this.columns = columns;
  }

  static MappedColumns of(EntityPersister persister) {
    String table = persister.getMappedTableDetails().getTableName();
    Map<String, String> out = new TreeMap<>();
    persister
        .getIdentifierMapping()
        .forEachSelectable((i, s) -> add(out, table, s, persister.getIdentifierMapping().getPartName(), true));
    EntityDiscriminatorMapping discriminator = persister.getDiscriminatorMapping();
    if (discriminator != null) {
      discriminator.forEachSelectable((i, s) -> add(out, table, s, "(discriminator)", false));
    }
    persister.forEachAttributeMapping(
        (AttributeMapping a) ->
            a.forEachSelectable(
                (i, s) -> add(out, table, s, a.getAttributeName(), a instanceof EmbeddableValuedModelPart)));
    return new MappedColumns(out);
  }

  private static void add(
      Map<String, String> out, String table, SelectableMapping s, String attribute, boolean nested) {
    if (s.isFormula() || !table.equals(s.getContainingTableExpression())) {
      return;
    }
    String path = attribute;
    if (nested && s.getSelectablePath() != null && s.getSelectablePath().getParent() != null) {
      path = attribute + "." + s.getSelectablePath().getFullPath();
    }
    out.putIfAbsent(Identifiers.fold(s.getSelectionExpression()), path);
  }

  /**
   * What is wrong with the columns {@code channel}'s trigger names: each message names the channel, the
   * entity, the column, the attribute it was written for and the column Hibernate maps for that attribute.
   */
  List<String> problems(ChannelDefinition channel) {
    List<String> problems = new ArrayList<>();
    if (channel.installed() == null) {
      return problems;
    }
    for (ChannelDefinition.Column c : channel.installed().columns()) {
      if (columns.containsKey(c.column())) {
        continue;
      }
      String mapped = columnOf(c.attribute());
      if (mapped == null) {
        mapped = columnOf(c.written());
      }
      problems.add(
          "trigger channel '"
              + channel.name()
              + "' of entity "
              + channel.payloadType().getName()
              + ": @TriggerChannel("
              + c.annotationAttribute()
              + ") names \""
              + c.written()
              + "\", which the processor made the column "
              + c.column()
              + ", but Hibernate maps no such column in table "
              + channel.table()
              + (mapped == null
                  ? " (mapped columns: " + String.join(", ", columns.keySet()) + ")"
                  : ": attribute " + c.attribute() + " maps to column " + mapped)
              + ". A trigger naming a missing column would fail every write of the table"
              + (c.annotationAttribute().equals("excludeColumns") ? " or leave the column in the payload" : "")
              + ", so nothing was installed. Fix: compile with the processor option -Apgpubsub.naming that matches"
              + " the PhysicalNamingStrategy (snake_case for Spring Boot's CamelCaseToUnderscoresNamingStrategy,"
              + " verbatim for Hibernate's default; the default 'auto' picks snake_case only when Spring Boot's"
              + " JPA auto-configuration is on the compile class path), or write the database column name"
              + (mapped == null ? "" : " (" + mapped + ")")
              + " in @TriggerChannel("
              + c.annotationAttribute()
              + ")");
    }
    return problems;
  }

  private String columnOf(String attribute) {
    for (Map.Entry<String, String> e : columns.entrySet()) {
      if (e.getValue().equals(attribute)) {
        return e.getKey();
      }
    }
    return null;
  }
}
