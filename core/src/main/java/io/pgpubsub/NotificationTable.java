package io.pgpubsub;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Pattern;

/** The notification table's DDL (idempotent), in the schema of your choice (default {@code public}). */
public final class NotificationTable {

  public static final String DEFAULT_SCHEMA = "public";
  private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_$]{0,62}");

  private NotificationTable() {}

  /** The DDL; {@code schema} must be a plain lower-case identifier (it is written unquoted). */
  public static String ddl(String schema) {
    if (schema == null || !SCHEMA.matcher(schema).matches()) {
      throw new IllegalArgumentException(
          "schema must be a lower-case SQL identifier (letters, digits, _), got: " + schema);
    }
    try (InputStream in = NotificationTable.class.getResourceAsStream("notification-table.sql")) {
      if (in == null) {
        throw new IllegalStateException("io/pgpubsub/notification-table.sql missing from the class path");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{{schema}}", schema);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Creates the notification table and its indexes if they do not exist yet. */
  public static void install(Connection connection, String schema) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(ddl(schema));
    }
  }
}
