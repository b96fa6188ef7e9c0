package io.pgpubsub.cli;

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

  static void requireInstalled(Connection c, String schema) throws SQLException {
    io.pgpubsub.NotificationTable.ddl(schema); // validates the schema name before it is used in SQL
    if (!tableExists(c, schema, "pgpubsub_notification")) {
      throw new CliException(
          ExitCode.NOT_INSTALLED,
          "table " + schema + ".pgpubsub_notification does not exist: run 'pgpubsub install --apply' first");
    }
  }
}
