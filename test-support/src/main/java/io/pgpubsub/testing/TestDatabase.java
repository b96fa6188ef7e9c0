package io.pgpubsub.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** A fresh database on the test server, dropped (with any open connections) by {@link #close()}. */
public final class TestDatabase implements AutoCloseable {

  private final PostgresServer server;
  private final String name;
  private final String jdbcUrl;

  TestDatabase(PostgresServer server, String name, String jdbcUrl) {
    this.server = server;
    this.name = name;
    this.jdbcUrl = jdbcUrl;
  }

  public String name() {
    return name;
  }

  /** JDBC URL of this database; credentials may be in it or in {@link #user()}/{@link #password()}. */
  public String jdbcUrl() {
    return jdbcUrl;
  }

  /** May be null when the URL carries the user. */
  public String user() {
    return server.user();
  }

  /** May be null (trust authentication). */
  public String password() {
    return server.password();
  }

  /** The URL with user and password as query parameters, for tools that take a URL only. */
  public String jdbcUrlWithCredentials() {
    StringBuilder url = new StringBuilder(jdbcUrl);
    char sep = jdbcUrl.contains("?") ? '&' : '?';
    if (user() != null && !jdbcUrl.contains("user=")) {
      url.append(sep).append("user=").append(java.net.URLEncoder.encode(user(), java.nio.charset.StandardCharsets.UTF_8));
      sep = '&';
    }
    if (password() != null && !jdbcUrl.contains("password=")) {
      url.append(sep).append("password=").append(java.net.URLEncoder.encode(password(), java.nio.charset.StandardCharsets.UTF_8));
    }
    return url.toString();
  }

  public PostgresServer server() {
    return server;
  }

  public Properties credentials() {
    return server.credentials();
  }

  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl, server.credentials());
  }

  public DataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(jdbcUrl);
    if (user() != null) {
      ds.setUser(user());
    }
    if (password() != null) {
      ds.setPassword(password());
    }
    return ds;
  }

  /** Runs SQL (one or more statements, no results) in autocommit mode. */
  public void execute(String sql) {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("SQL failed on " + name + ": " + sql, e);
    }
  }

  @Override
  public void close() {
    server.dropDatabase(name);
  }

  @Override
  public String toString() {
    return name + " on " + server.source();
  }
}
