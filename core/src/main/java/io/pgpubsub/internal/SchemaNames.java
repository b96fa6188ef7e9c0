package io.pgpubsub.internal;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The notification tables' schema name in SQL. Any name PostgreSQL accepts works ({@code My-Schema},
 * {@code évents}, names with a {@code "} in them); only what PostgreSQL itself rejects is refused: an empty
 * name, one longer than 63 bytes (PostgreSQL would silently cut it), and NUL.
 *
 * <p>Decision: the schema is quoted only when it needs to be. A plain lower-case name that is not a reserved
 * word ({@code public}, {@code events}) is written as it is, so generated scripts stay readable and are
 * byte-for-byte what earlier versions wrote; anything else is written as a quoted identifier with embedded
 * {@code "} doubled. Both forms name the same schema. Where the schema goes into a string (NOTIFY names,
 * advisory lock keys, {@code nspname = ?}) it is the raw name, bound as a parameter; where a string literal
 * must hold a table name ({@code to_regclass(?)}) the parameter is the SQL form of {@link #table}.
 *
 * <p>The annotation processor has the same rule (its {@code SqlNames.schema}); a test compares the two.
 */
public final class SchemaNames {

  /** PostgreSQL's NAMEDATALEN - 1. */
  public static final int MAX_BYTES = 63;

  private static final Pattern PLAIN = Pattern.compile("[a-z_][a-z0-9_$]*");

  /**
   * PostgreSQL's reserved key words and those reserved except as function or type names (neither may be an
   * unquoted schema name); the other key words may.
   */
  static final Set<String> RESERVED =
      Set.of(
          "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "authorization",
          "binary", "both", "case", "cast", "check", "collate", "collation", "column", "concurrently",
          "constraint", "create", "cross", "current_catalog", "current_date", "current_role",
          "current_schema", "current_time", "current_timestamp", "current_user", "default", "deferrable",
          "desc", "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "freeze",
          "from", "full", "grant", "group", "having", "ilike", "in", "initially", "inner", "intersect", "into",
          "is", "isnull", "join", "lateral", "leading", "left", "like", "limit", "localtime", "localtimestamp",
          "natural", "not", "notnull", "null", "offset", "on", "only", "or", "order", "outer", "overlaps",
          "placing", "primary", "references", "returning", "right", "select", "session_user", "similar",
          "some", "symmetric", "system_user", "table", "tablesample", "then", "to", "trailing", "true",
          "union", "unique", "user", "using", "variadic", "verbose", "when", "where", "window", "with");

  private SchemaNames() {}

  /** {@link #validate(String, String)} for a setting called {@code schema}. */
  public static String validate(String schema) {
    return validate(schema, "schema");
  }

  /**
   * Returns {@code schema} or throws an {@link IllegalArgumentException} that names {@code setting} (the
   * option or property the name came from) and says why: null, empty, longer than 63 bytes, or holding NUL.
   */
  public static String validate(String schema, String setting) {
    String why;
    if (schema == null) {
      why = "it is missing";
    } else if (schema.isEmpty()) {
      why = "it is empty";
    } else if (schema.indexOf('\0') >= 0) {
      why = "it contains a NUL character, which PostgreSQL does not allow in names";
    } else if (bytes(schema) > MAX_BYTES) {
      why = "it is " + bytes(schema) + " bytes long in UTF-8 (PostgreSQL names have at most " + MAX_BYTES + ")";
    } else {
      return schema;
    }
    throw new IllegalArgumentException(
        "invalid " + setting + " '" + printable(schema) + "': " + why);
  }

  /** The schema as SQL: as it is when it needs no quotes, else a quoted identifier (validated first). */
  public static String sql(String schema) {
    validate(schema);
    return needsQuotes(schema) ? quote(schema) : schema;
  }

  /** {@code schema.table} as SQL; {@code table} is one of the library's own lower-case table names. */
  public static String table(String schema, String table) {
    return sql(schema) + "." + table;
  }

  /** Whether {@code name} would not mean itself unquoted: not a plain lower-case name, or a reserved word. */
  public static boolean needsQuotes(String name) {
    return !PLAIN.matcher(name).matches() || RESERVED.contains(name);
  }

  /** {@code "name"} with every embedded {@code "} doubled. */
  public static String quote(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /** The name for a message or an SQL comment: control characters (line breaks) as escapes (backslash, u, 4 hex digits). */
  public static String printable(String name) {
    if (name == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
