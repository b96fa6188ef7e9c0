package io.pgpubsub.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The one PostgreSQL server a test JVM uses. It is chosen once, in this order:
 *
 * <ol>
 *   <li>{@value #JDBC_URL_ENV}: a JDBC URL of an existing server, e.g.
 *       {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}. The user needs the right to create
 *       databases. Credentials go in the URL or in {@value #USER_ENV} / {@value #PASSWORD_ENV}.
 *   <li>Testcontainers ({@code postgres:17-alpine}) when a Docker engine answers.
 *   <li>An embedded PostgreSQL 17 (zonky), started once per JVM and stopped when the JVM exits.
 * </ol>
 *
 * Tests never share a database: {@link #createDatabase(String)} makes a fresh one per test class.
 */
public final class PostgresServer {

  public static final String JDBC_URL_ENV = "PGPUBSUB_TEST_JDBC_URL";
  public static final String USER_ENV = "PGPUBSUB_TEST_USER";
  public static final String PASSWORD_ENV = "PGPUBSUB_TEST_PASSWORD";
  static final String IMAGE = "postgres:17-alpine";

  /** Where the server came from. */
  public enum Source {
    ENVIRONMENT,
    TESTCONTAINERS,
    EMBEDDED
  }

  private static final Logger log = LoggerFactory.getLogger(PostgresServer.class);
  private static final Pattern URL =
      Pattern.compile("^jdbc:postgresql://([^/?]*)/?([^?]*)(\\?.*)?$");
  private static final AtomicInteger databases = new AtomicInteger();
  private static PostgresServer instance;
  /** Closed, newest first, when the JVM exits, before the server stops: see {@link #closeBeforeStop}. */
  private static final java.util.Deque<AutoCloseable> beforeStop = new java.util.concurrent.ConcurrentLinkedDeque<>();

  private final Source source;
  private final String adminUrl;
  private final String user;
  private final String password;

  private PostgresServer(Source source, String adminUrl, String user, String password) {
    this.source = source;
    this.adminUrl = adminUrl;
    this.user = user;
    this.password = password;
  }

  /** The JVM's server, started on first use. */
  public static synchronized PostgresServer get() {
    if (instance == null) {
      instance = start(System.getenv(), PostgresServer::dockerAvailable);
      Runtime.getRuntime().addShutdownHook(new Thread(PostgresServer::stopAll, "pgpubsub-test-pg-stop"));
      log.info("test PostgreSQL: {} at {}", instance.source, instance.adminUrl);
    }
    return instance;
  }

  /** The provider order, separated from the process environment so that it can be tested. */
  static Source choose(Map<String, String> env, java.util.function.BooleanSupplier docker) {
    String url = env.get(JDBC_URL_ENV);
    if (url != null && !url.isBlank()) {
      return Source.ENVIRONMENT;
    }
    return docker.getAsBoolean() ? Source.TESTCONTAINERS : Source.EMBEDDED;
  }

  private static PostgresServer start(
      Map<String, String> env, java.util.function.BooleanSupplier docker) {
    switch (choose(env, docker)) {
      case ENVIRONMENT:
        String url = env.get(JDBC_URL_ENV).trim();
        if (!URL.matcher(url).matches()) {
          throw new IllegalStateException(
              JDBC_URL_ENV + " must look like jdbc:postgresql://host:port/database?user=..., got: " + url);
        }
        return new PostgresServer(
            Source.ENVIRONMENT, url, env.get(USER_ENV), env.get(PASSWORD_ENV));
      case TESTCONTAINERS:
        PostgreSQLContainer container = new PostgreSQLContainer(IMAGE);
        container.withCommand("postgres", "-c", "fsync=off", "-c", "wal_level=logical");
        container.start();
        stopServer = container::stop;
        return new PostgresServer(
            Source.TESTCONTAINERS,
            container.getJdbcUrl(),
            container.getUsername(),
            container.getPassword());
      default:
        try {
          // wal_level = logical: the WAL transport's tests read logical replication slots (slots and WAL
          // senders keep PostgreSQL 17's defaults, 10 each)
          EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical").start();
          stopServer = pg::close;
          return new PostgresServer(
              Source.EMBEDDED, pg.getJdbcUrl("postgres", "postgres"), "postgres", null);
        } catch (Exception e) {
          throw new IllegalStateException("could not start the embedded PostgreSQL", e);
        }
    }
  }

  /** Stops the container or the embedded server this JVM started (nothing for an environment's server). */
  private static AutoCloseable stopServer = () -> {};

  /**
   * Closes {@code resource} when the JVM exits, before the server stops, unless it was {@linkplain
   * #closedBeforeStop closed} earlier. For users of a database that must go first: a Spring test context
   * cached until the JVM exits, whose listener would otherwise see its server vanish and log reconnects.
   */
  public static void closeBeforeStop(AutoCloseable resource) {
    beforeStop.push(resource);
  }

  /** Forgets a resource given to {@link #closeBeforeStop} (it was closed already). */
  public static void closedBeforeStop(AutoCloseable resource) {
    beforeStop.remove(resource);
  }

  private static void stopAll() {
    for (AutoCloseable r; (r = beforeStop.poll()) != null; ) {
      try {
        r.close();
      } catch (Exception e) {
        log.warn("closing {} before the test PostgreSQL stops failed", r, e);
      }
    }
    try {
      stopServer.close();
    } catch (Exception e) {
      log.warn("stopping the test PostgreSQL failed", e);
    }
  }

  private static boolean dockerAvailable() {
    // Asking Testcontainers costs seconds and a page of logs when there is no engine; look for one first.
    boolean hint =
        System.getenv("DOCKER_HOST") != null
            || Files.exists(Path.of("/var/run/docker.sock"))
            || Files.exists(Path.of(System.getProperty("user.home"), ".testcontainers.properties"))
            || new File(System.getProperty("user.home"), ".docker/run/docker.sock").exists();
    if (!hint) {
      return false;
    }
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  public Source source() {
    return source;
  }

  /** URL of the server's maintenance database (not to be written by tests). */
  public String adminUrl() {
    return adminUrl;
  }

  public Connection connectAdmin() throws SQLException {
    return DriverManager.getConnection(adminUrl, credentials());
  }

  Properties credentials() {
    Properties p = new Properties();
    if (user != null) {
      p.setProperty("user", user);
    }
    if (password != null) {
      p.setProperty("password", password);
    }
    return p;
  }

  String user() {
    return user;
  }

  String password() {
    return password;
  }

  /** Creates an empty database for one test class; close the result to drop it. */
  public TestDatabase createDatabase(String hint) {
    String name =
        ("pgpubsub_t_"
                + hint.toLowerCase().replaceAll("[^a-z0-9]+", "_")
                + "_"
                + ProcessHandle.current().pid()
                + "_"
                + databases.incrementAndGet()
                + "_"
                + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36))
            .replaceAll("^(.{0,63}).*$", "$1");
    // keep the unique tail when the hint is long
    if (name.length() == 63) {
      String tail =
          "_" + ProcessHandle.current().pid() + "_" + databases.get() + "_" + Integer.toString(
              ThreadLocalRandom.current().nextInt(1 << 20), 36);
      name = name.substring(0, 63 - tail.length()) + tail;
    }
    try (Connection c = connectAdmin();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE \"" + name + "\" TEMPLATE template0 ENCODING 'UTF8'");
    } catch (SQLException e) {
      throw new IllegalStateException("could not create test database " + name + " on " + adminUrl, e);
    }
    return new TestDatabase(this, name, urlFor(name));
  }

  void dropDatabase(String name) {
    try (Connection c = connectAdmin();
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
    } catch (SQLException e) {
      log.warn("could not drop test database {}", name, e);
    }
  }

  String urlFor(String database) {
    Matcher m = URL.matcher(adminUrl);
    if (!m.matches()) {
      throw new IllegalStateException("unexpected JDBC URL " + adminUrl);
    }
    return "jdbc:postgresql://" + m.group(1) + "/" + database + (m.group(3) == null ? "" : m.group(3));
  }
}
