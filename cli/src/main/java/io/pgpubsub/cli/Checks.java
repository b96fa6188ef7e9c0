package io.pgpubsub.cli;

import io.pgpubsub.internal.SchemaNames;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

final class Checks {

  private Checks() {}

  static boolean tableExists(Connection c, String schema, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select to_regclass(quote_ident(?) || '.' || quote_ident(?)) is not null")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * Returns {@code schema} when PostgreSQL accepts it as a name (it is quoted in SQL where needed), else a
   * usage error that names --schema.
   */
  static String schema(String schema) {
    try {
      return SchemaNames.validate(schema, "--schema");
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, e.getMessage());
    }
  }

  static void requireInstalled(Connection c, String schema) throws SQLException {
    schema(schema); // a bad schema name is a usage error
    if (!tableExists(c, schema, "pgpubsub_notification")) {
      throw new CliException(
          ExitCode.NOT_INSTALLED,
          "table "
              + SchemaNames.printable(SchemaNames.table(schema, "pgpubsub_notification"))
              + " does not exist: run 'pgpubsub install --apply' first");
    }
  }
}
