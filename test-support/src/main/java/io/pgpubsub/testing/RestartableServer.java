package io.pgpubsub.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;

/**
 * An embedded PostgreSQL of a test's own that can be restarted on the same port and data directory (restart
 * fault tests; the shared server of test-support must not go down under the other tests). Closing it stops the
 * server and deletes its data directory.
 */
public final class RestartableServer implements AutoCloseable {

  private final Path data;
  private final int port;
  private final Map<String, String> config;
  private EmbeddedPostgres pg;

  private RestartableServer(Path data, int port, Map<String, String> config) {
    this.data = data;
    this.port = port;
    this.config = config;
  }

  /** A new server with the given settings (e.g. {@code wal_level=logical}). */
  public static RestartableServer start(Map<String, String> config) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    RestartableServer server = new RestartableServer(Files.createTempDirectory("pgpubsub-restart"), port, config);
    server.pg = server.startServer();
    return server;
  }

  /** A URL of the server's postgres database, as user postgres. */
  public String url() {
    return "jdbc:postgresql://localhost:" + port + "/postgres?user=postgres";
  }

  /** Stops the server (every connection breaks) and starts it again on the same port and data. */
  public void restart() throws Exception {
    pg.close();
    pg = startServer();
  }

  private EmbeddedPostgres startServer() throws Exception {
    EmbeddedPostgres.Builder b =
        EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port);
    config.forEach(b::setServerConfig);
    return b.start();
  }

  @Override
  public void close() throws Exception {
    try {
      pg.close();
    } finally {
      try (var paths = Files.walk(data)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
