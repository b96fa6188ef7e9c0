package io.pgpubsub.hibernate.internal;

import java.util.Locale;

/** PostgreSQL identifier rules, for matching Hibernate's SQL names against names in the database. */
final class Identifiers {

  private Identifiers() {}

  /**
   * The name as PostgreSQL stores it: a quoted identifier ({@code "Name"}, or Hibernate's back-ticks) keeps
   * its case; an unquoted one is folded to lower case. This is the key {@code to_jsonb(row)} uses.
   */
  static String fold(String sqlName) {
    if (sqlName == null) {
      return null;
    }
    String s = sqlName.trim();
    if (s.length() >= 2
        && ((s.charAt(0) == '"' && s.charAt(s.length() - 1) == '"')
            || (s.charAt(0) == '`' && s.charAt(s.length() - 1) == '`'))) {
      return s.substring(1, s.length() - 1).replace("\"\"", "\"");
    }
    return s.toLowerCase(Locale.ROOT);
  }

  /** A possibly qualified table name ({@code schema.table}, quoted parts allowed) as [schema or null, table]. */
  static String[] splitQualified(String qualified) {
    java.util.List<String> parts = new java.util.ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < qualified.length(); i++) {
      char c = qualified.charAt(i);
      if (c == '"') {
        quoted = !quoted;
        current.append(c);
      } else if (c == '.' && !quoted) {
        parts.add(current.toString());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    parts.add(current.toString());
    String table = fold(parts.get(parts.size() - 1));
    String schema = parts.size() >= 2 ? fold(parts.get(parts.size() - 2)) : null;
    return new String[] {schema, table};
  }

  /** Quotes an identifier for SQL. */
  static String quote(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }
}
