package io.pgpubsub.cli;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;
import picocli.CommandLine.Option;

/** Connection options shared by every command. */
final class DatabaseOptions {

  @Option(
      names = "--jdbc-url",
      defaultValue = "${env:PGPUBSUB_JDBC_URL}",
      description = "JDBC URL of the database, e.g. jdbc:postgresql://db:5432/app (env PGPUBSUB_JDBC_URL).")
  String jdbcUrl;

  @Option(
      names = "--user",
      defaultValue = "${env:PGPUBSUB_USER}",
      description = "Database user, unless the URL has one (env PGPUBSUB_USER).")
  String user;

  @Option(
      names = "--password",
      defaultValue = "${env:PGPUBSUB_PASSWORD}",
      description = "Database password (env PGPUBSUB_PASSWORD; prefer the environment over the command line).")
  String password;

  @Option(
      names = "--schema",
      defaultValue = "public",
      description = "Schema of the notification table (default: ${DEFAULT-VALUE}).")
  String schema;

  Properties credentials() {
    Properties p = new Properties();
    if (user != null && !user.isBlank()) {
      p.setProperty("user", user);
    }
    if (password != null) {
      p.setProperty("password", password);
    }
    return p;
  }

  Connection connect() throws SQLException {
    if (jdbcUrl == null || jdbcUrl.isBlank()) {
      throw new CliException(ExitCode.USAGE, "no database given: use --jdbc-url=jdbc:postgresql://host:port/database or PGPUBSUB_JDBC_URL");
    }
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new CliException(
          ExitCode.USAGE, "--jdbc-url must be a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database), got: " + jdbcUrl);
    }
    try {
      return DriverManager.getConnection(jdbcUrl, credentials());
    } catch (SQLException e) {
      throw CliException.fromConnect(jdbcUrl, e);
    }
  }

  /**
   * A DataSource for the core's readers (DeadLetters, ChannelStatusReader), after checking, on one connection,
   * that the database answers and the notification table is installed (each with its one clear line).
   */
  DataSource installedDataSource() throws SQLException {
    try (Connection c = connect()) {
      Checks.requireInstalled(c, schema);
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(jdbcUrl);
    if (user != null && !user.isBlank()) {
      ds.setUser(user);
    }
    if (password != null) {
      ds.setPassword(password);
    }
    return ds;
  }
}
