package io.pgpubsub.samples;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo's PostgreSQL: an embedded PostgreSQL 17 started for the run and stopped at its end; or, when a JDBC
 * URL is given ({@code PGPUBSUB_JDBC_URL} or {@code --jdbc-url=...}), a database of its own on that server,
 * {@value #DATABASE}, which it creates, marks as its own, and drops at the end. It never touches the database
 * the URL names: an existing {@value #DATABASE} that the demo did not create makes it stop without changing
 * anything.
 */
final class DemoDatabase implements AutoCloseable {

  static final String URL_ENV = "PGPUBSUB_JDBC_URL";
  static final String DATABASE = "pgpubsub_demo";
  static final String MARK = "created by the pgpubsub demo; dropped when it ends";
  private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://[^/?]*)/?([^?]*)(\\?.*)?$");

  private final EmbeddedPostgres embedded;
  private final String serverUrl;
  private final String jdbcUrl;

  private DemoDatabase(EmbeddedPostgres embedded, String serverUrl, String jdbcUrl) {
    this.embedded = embedded;
    this.serverUrl = serverUrl;
    this.jdbcUrl = jdbcUrl;
  }

  static DemoDatabase open(String[] args) throws IOException, SQLException {
    String url = System.getenv(URL_ENV);
    for (String a : args) {
      if (a.startsWith("--jdbc-url=")) {
        url = a.substring("--jdbc-url=".length());
      }
    }
    if (url != null && !url.isBlank()) {
      return onServer(url.trim());
    }
    EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
    return new DemoDatabase(pg, null, pg.getJdbcUrl("postgres", "postgres"));
  }

  /** Creates {@value #DATABASE} on the server {@code url} points at (the URL's own database is only connected to). */
  static DemoDatabase onServer(String url) throws SQLException {
    Matcher m = URL.matcher(url);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a PostgreSQL JDBC URL (jdbc:postgresql://host:port/database): " + url);
    }
    String demoUrl = m.group(1) + "/" + DATABASE + (m.group(3) == null ? "" : m.group(3));
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      String comment = null;
      boolean exists;
      try (PreparedStatement ps =
          c.prepareStatement("select shobj_description(oid, 'pg_database') from pg_database where datname = ?")) {
        ps.setString(1, DATABASE);
        try (ResultSet rs = ps.executeQuery()) {
          exists = rs.next();
          if (exists) {
            comment = rs.getString(1);
          }
        }
      }
      if (exists && !MARK.equals(comment)) {
        throw new IllegalStateException(
            "database " + DATABASE + " already exists on this server and the demo did not create it: the demo"
                + " refuses to use or drop it. Drop or rename it yourself, or run the demo on the embedded PostgreSQL");
      }
      if (exists) {
        System.out.println("dropping " + DATABASE + ", left over by an interrupted demo run");
        s.execute("DROP DATABASE " + DATABASE);
      }
      try {
        s.execute("CREATE DATABASE " + DATABASE);
      } catch (SQLException e) {
        throw new IllegalStateException(
            "the demo runs in a database of its own, " + DATABASE + ", and could not create it (the user needs"
                + " CREATEDB): " + e.getMessage(), e);
      }
      s.execute("COMMENT ON DATABASE " + DATABASE + " IS '" + MARK + "'");
    }
    return new DemoDatabase(null, url, demoUrl);
  }

  String jdbcUrl() {
    return jdbcUrl;
  }

  boolean embedded() {
    return embedded != null;
  }

  /** Where the demo runs, for its first line. */
  String describe() {
    return embedded != null
        ? "an embedded PostgreSQL started for this run"
        : "database " + DATABASE + " (created for this run, dropped at its end) on the server of " + serverUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  @Override
  public void close() throws IOException {
    if (embedded != null) {
      embedded.close();
      return;
    }
    try (Connection c = DriverManager.getConnection(serverUrl);
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
      System.out.println("dropped database " + DATABASE + ": the demo left nothing behind");
    } catch (SQLException e) {
      System.out.println("could not drop database " + DATABASE + " (drop it yourself): " + e.getMessage());
    }
  }
}
