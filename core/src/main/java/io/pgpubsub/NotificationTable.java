package io.pgpubsub;

import io.pgpubsub.internal.SchemaNames;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** The notification table's DDL (idempotent), in the schema of your choice (default {@code public}). */
public final class NotificationTable {

  public static final String DEFAULT_SCHEMA = "public";

  private NotificationTable() {}

  /**
   * The DDL. {@code schema} is any name PostgreSQL accepts (at most 63 bytes, no NUL); it is written as a
   * quoted identifier when it needs quotes, as it is otherwise (see {@link SchemaNames}).
   *
   * @throws IllegalArgumentException when PostgreSQL would reject the name
   */
  public static String ddl(String schema) {
    return render("notification-table.sql", schema);
  }

  /** The resource {@code io/pgpubsub/<resource>} with {@code {{schema}}} replaced by {@code schema}'s SQL name. */
  static String render(String resource, String schema) {
    String sqlName = SchemaNames.sql(schema);
    try (InputStream in = NotificationTable.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("io/pgpubsub/" + resource + " missing from the class path");
      }
      StringBuilder sql = new StringBuilder();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n", -1)) {
        // in a comment the name must not end the line early (a schema name may hold a line break)
        String value = line.startsWith("--") ? SchemaNames.printable(sqlName) : sqlName;
        if (sql.length() > 0) {
          sql.append('\n');
        }
        sql.append(line.replace("{{schema}}", value));
      }
      return sql.toString();
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
