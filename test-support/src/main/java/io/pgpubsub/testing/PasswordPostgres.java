package io.pgpubsub.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * A PostgreSQL server of its own that demands a password: its {@code pg_hba.conf} lets only the superuser
 * {@code postgres} in without one (to set up), and every other role must log in with SCRAM-SHA-256. The
 * JVM's shared test server trusts every local connection, so it cannot show that credentials really reach
 * the server; start one of these for such a test, and close it at the end.
 */
public final class PasswordPostgres implements AutoCloseable {

  private static final String HBA =
      String.join(
          "\n",
          "# pgpubsub test server: the superuser is trusted, every other role needs a SCRAM password",
          "local all postgres trust",
          "host all postgres 127.0.0.1/32 trust",
          "host all postgres ::1/128 trust",
          "local all all scram-sha-256",
          "host all all 127.0.0.1/32 scram-sha-256",
          "host all all ::1/128 scram-sha-256",
          "");

  private final EmbeddedPostgres pg;

  private PasswordPostgres(EmbeddedPostgres pg) {
    this.pg = pg;
  }

  /** Starts the server (an embedded PostgreSQL, a few seconds). */
  public static PasswordPostgres start() {
    try {
      EmbeddedPostgres pg =
          EmbeddedPostgres.builder()
              .setServerConfig("password_encryption", "scram-sha-256")
              .setDataDirectoryCustomizer(
                  dir -> {
                    try {
                      Files.writeString(dir.toPath().resolve("pg_hba.conf"), HBA, StandardCharsets.UTF_8);
                    } catch (IOException e) {
                      throw new UncheckedIOException(e);
                    }
                  })
              .start();
      return new PasswordPostgres(pg);
    } catch (IOException e) {
      throw new IllegalStateException("could not start the password-checking embedded PostgreSQL", e);
    }
  }

  /** URL of {@code database}, without any user or password in it. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://localhost:" + pg.getPort() + "/" + database;
  }

  /** A superuser connection (trusted) to {@code database}. */
  public Connection connectAsSuperuser(String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    return DriverManager.getConnection(jdbcUrl(database), p);
  }

  /**
   * Creates a login role with a SCRAM-SHA-256 password, and a database it owns; returns the database's URL
   * (no credentials in it).
   */
  public String createRoleAndDatabase(String role, String password, String database) throws SQLException {
    try (Connection c = connectAsSuperuser("postgres");
        Statement s = c.createStatement()) {
      s.execute("SET password_encryption = 'scram-sha-256'");
      s.execute("CREATE ROLE " + quote(role) + " LOGIN PASSWORD " + literal(password));
      s.execute("CREATE DATABASE " + quote(database) + " OWNER " + quote(role));
    }
    return jdbcUrl(database);
  }

  /** How the server stores {@code role}'s password: {@code SCRAM-SHA-256$...}. */
  public String storedPassword(String role) throws SQLException {
    try (Connection c = connectAsSuperuser("postgres");
        PreparedStatement ps = c.prepareStatement("SELECT rolpassword FROM pg_authid WHERE rolname = ?")) {
      ps.setString(1, role);
      try (var rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  private static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  private static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  @Override
  public void close() throws IOException {
    pg.close();
  }
}
