package io.pgpubsub.processor.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/** Database names: naming strategy, PostgreSQL case folding, quoting, the 63-byte limit. */
public final class SqlNames {

  /** PostgreSQL's NAMEDATALEN - 1. */
  public static final int MAX_IDENTIFIER_BYTES = 63;

  private SqlNames() {}

  /**
   * The name PostgreSQL stores for a logical name as written in a mapping annotation (or an attribute name).
   * A name in back-ticks or double quotes is quoted: Hibernate quotes it and PostgreSQL keeps its case.
   * Otherwise the naming strategy applies, and PostgreSQL folds the unquoted name to lower case (unless all
   * identifiers are quoted).
   */
  public static String physical(String logical, Options options) {
    boolean quoted = false;
    String text = logical;
    if (text.length() >= 2
        && ((text.startsWith("`") && text.endsWith("`")) || (text.startsWith("\"") && text.endsWith("\"")))) {
      quoted = true;
      text = text.substring(1, text.length() - 1);
    }
    if (options.naming() == Options.Naming.SNAKE_CASE) {
      // Spring Boot's CamelCaseToUnderscoresNamingStrategy lower-cases quoted names as well
      return snakeCase(text);
    }
    if (quoted || options.globallyQuoted()) {
      return text;
    }
    return text.toLowerCase(Locale.ROOT);
  }

  /** Spring Boot's CamelCaseToUnderscoresNamingStrategy: dots to underscores, aB to a_b, lower case. */
  static String snakeCase(String name) {
    StringBuilder b = new StringBuilder(name.replace('.', '_'));
    for (int i = 1; i < b.length() - 1; i++) {
      if (Character.isLowerCase(b.charAt(i - 1))
          && Character.isUpperCase(b.charAt(i))
          && Character.isLowerCase(b.charAt(i + 1))) {
        b.insert(i++, '_');
      }
    }
    return b.toString().toLowerCase(Locale.ROOT);
  }

  /** snake_case of a Java simple name for a record channel's default name: CacheInvalidated -> cache_invalidated. */
  public static String channelNameOf(String simpleName) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < simpleName.length(); i++) {
      char c = simpleName.charAt(i);
      if (Character.isUpperCase(c)) {
        boolean prevLower = i > 0 && !Character.isUpperCase(simpleName.charAt(i - 1));
        boolean nextLower = i + 1 < simpleName.length() && Character.isLowerCase(simpleName.charAt(i + 1));
        boolean prevUpper = i > 0 && Character.isUpperCase(simpleName.charAt(i - 1));
        if (i > 0 && (prevLower || (prevUpper && nextLower)) && simpleName.charAt(i - 1) != '_') {
          b.append('_');
        }
        b.append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static final java.util.regex.Pattern PLAIN = java.util.regex.Pattern.compile("[a-z_][a-z0-9_$]*");

  /**
   * PostgreSQL's reserved key words and those reserved except as function or type names: neither may be an
   * unquoted schema name. The same list as core's {@code io.pgpubsub.internal.SchemaNames.RESERVED}.
   */
  static final java.util.Set<String> RESERVED =
      java.util.Set.of(
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

  /**
   * The notification schema as SQL. Decision (the same as core's {@code SchemaNames.sql}): quoted only when it
   * needs quotes, so that the generated scripts for {@code public} or {@code events} stay readable and
   * unchanged ({@code public.pgpubsub_notification}); {@code My-Schema}, {@code évents}, reserved words and
   * names holding {@code "} are written as quoted identifiers.
   */
  public static String schema(String schema) {
    return PLAIN.matcher(schema).matches() && !RESERVED.contains(schema) ? schema : quote(schema);
  }

  /** {@code text} for an SQL {@code --} comment: control characters (line breaks) as escapes (backslash, u, 4 hex digits). */
  public static String commentSafe(String text) {
    StringBuilder b = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /** A double-quoted identifier. */
  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /**
   * A string literal. Plain {@code '...'} (standard_conforming_strings, the default since PostgreSQL 9.1);
   * a value with a backslash is written as {@code E'...'} with the backslashes doubled, which means the same
   * whatever standard_conforming_strings is.
   */
  public static String literal(String value) {
    String quoted = value.replace("'", "''");
    return value.indexOf('\\') < 0 ? "'" + quoted + "'" : "E'" + quoted.replace("\\", "\\\\") + "'";
  }

  /** {@code schema.table}, quoted, or just the table when schema is null. */
  public static String qualified(String schema, String table) {
    return schema == null ? quote(table) : quote(schema) + "." + quote(table);
  }

  /**
   * {@code name} when it fits in 63 bytes; else its longest prefix that leaves room for {@code _} and 8 hex
   * digits of its SHA-256, so that long names stay unique and stable across builds.
   */
  public static String limit(String name) {
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= MAX_IDENTIFIER_BYTES) {
      return name;
    }
    return cutAndEnd(name, "_" + hash(name));
  }

  /**
   * The longest prefix of {@code whole} (whole code points) that leaves room for {@code suffix} within {@value
   * #MAX_IDENTIFIER_BYTES} bytes of UTF-8, then {@code suffix}.
   */
  private static String cutAndEnd(String whole, String suffix) {
    int budget = MAX_IDENTIFIER_BYTES - byteLength(suffix);
    StringBuilder prefix = new StringBuilder();
    int used = 0;
    for (int i = 0; i < whole.length(); ) {
      int cp = whole.codePointAt(i);
      int len = byteLength(new String(Character.toChars(cp)));
      if (used + len > budget) {
        break;
      }
      prefix.appendCodePoint(cp);
      used += len;
      i += Character.charCount(cp);
    }
    return prefix + suffix;
  }

  /**
   * The NOTIFY name of {@code channel} for the notification table in {@code schema}: the channel name in
   * {@code public}, else {@code schema:channel}; longer than 63 bytes, its first 54 bytes, {@code '#'} and 8 hex
   * digits of the SHA-256 of the whole name. The same rule as core's {@code ChannelNames.notifyName}, which
   * the listener LISTENs on (GeneratedNamesMatchTheRuntimeTest compares the two).
   */
  public static String notifyName(String schema, String channel) {
    String whole = "public".equals(schema) ? channel : schema + ':' + channel;
    if (byteLength(whole) <= MAX_IDENTIFIER_BYTES) {
      return whole;
    }
    return cutAndEnd(whole, "#" + hash(whole));
  }

  /**
   * The NOTIFY name that wakes the readers of stream {@code stream}: {@code pgpubsub_stream:<schema>:<stream>},
   * shortened as {@link #notifyName}. The same rule as core's {@code Streams.notifyName}.
   */
  public static String streamNotifyName(String schema, String stream) {
    String whole = "pgpubsub_stream:" + schema + ':' + stream;
    if (byteLength(whole) <= MAX_IDENTIFIER_BYTES) {
      return whole;
    }
    return cutAndEnd(whole, "#" + hash(whole));
  }

  /**
   * The second key of the channel's wake-up advisory locks: the first 4 bytes of the SHA-256 of {@code
   * schema:channel}, big-endian. The same rule as core's {@code ChannelNames.lockKey}.
   */
  public static int lockKey(String schema, String channel) {
    return (int) Long.parseLong(hash(schema + ':' + channel), 16);
  }

  public static int byteLength(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** The first 8 hex digits of the SHA-256 of {@code text} (UTF-8). */
  public static String hash(String text) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }
}
