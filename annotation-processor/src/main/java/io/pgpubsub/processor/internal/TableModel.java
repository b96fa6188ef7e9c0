package io.pgpubsub.processor.internal;

import java.util.List;

/**
 * The table a trigger channel's trigger goes on, with database names (unquoted, case as PostgreSQL stores
 * them).
 *
 * @param schema the schema, or null when the mapping names none (the search_path decides)
 * @param name the table name
 * @param columns the columns the entity maps in this table, sorted by name
 * @param discriminator for a subclass in a single-table hierarchy: only rows of its type notify; else null
 * @param idColumns the primary key columns of the table, in mapping order (the default order key)
 */
public record TableModel(
    String schema, String name, List<Column> columns, Discriminator discriminator, List<String> idColumns) {

  public TableModel {
    columns = List.copyOf(columns);
    idColumns = List.copyOf(idColumns);
  }

  /**
   * @param name the database column name
   * @param attribute the attribute path it maps ({@code address.city}), or the discriminator's description
   */
  public record Column(String name, String attribute) {}

  /** {@code column} must equal {@code value} (compared as text). */
  public record Discriminator(String column, String value) {}
}
