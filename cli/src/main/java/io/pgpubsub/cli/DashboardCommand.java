package io.pgpubsub.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgpubsub.dashboard.Dashboard;
import io.pgpubsub.dashboard.DashboardServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
    name = "dashboard",
    mixinStandardHelpOptions = true,
    description = {
      "Serves the operations web page: per channel flow, lag, listeners and dead letters, with retry and purge.",
      "Writes need the token. Without --token (or PGPUBSUB_DASHBOARD_TOKEN) a random one is written to",
      "--token-file: the token is never printed.",
      "Full guide: docs/dashboard.md."
    })
final class DashboardCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin DatabaseOptions db;

  @Option(names = "--port", defaultValue = "8089", description = "HTTP port (0 picks a free one). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--bind",
      defaultValue = "127.0.0.1",
      description = "Address to listen on. Default: ${DEFAULT-VALUE} (this machine only); 0.0.0.0 for every interface.")
  String bind;

  @Option(names = "--read-only", description = "Refuse every retry and purge.")
  boolean readOnly;

  @Option(
      names = "--token",
      defaultValue = "${env:PGPUBSUB_DASHBOARD_TOKEN}",
      description =
          "The token write actions need (env PGPUBSUB_DASHBOARD_TOKEN). Default: a random one, written to --token-file.")
  String token;

  @Option(
      names = "--token-file",
      description =
          "Where the random write token is written (readable by you only) when no --token is given."
              + " Default: ~/.pgpubsub/dashboard.token.")
  Path tokenFile;

  @Option(
      names = "--read-token",
      defaultValue = "${env:PGPUBSUB_DASHBOARD_READ_TOKEN}",
      description =
          "A token that reading needs too (env PGPUBSUB_DASHBOARD_READ_TOKEN), for sensitive payloads. Default: none.")
  String readToken;

  @Option(
      names = "--allowed-host",
      split = ",",
      description =
          "Host names the page may be opened by, besides IP addresses and localhost (DNS rebinding protection);"
              + " repeatable. '*' allows any.")
  List<String> allowedHosts = new ArrayList<>();

  @Option(
      names = "--lag-threshold",
      defaultValue = "PT60S",
      converter = Durations.class,
      description = "A channel whose oldest pending notification waits longer is shown behind. Default: 60s.")
  Duration lagThreshold;

  @Option(
      names = "--refresh",
      defaultValue = "PT5S",
      converter = Durations.class,
      description = "How often the page refreshes, e.g. 5s. Default: 5s.")
  Duration refresh;

  @Override
  public Integer call() throws Exception {
    try (Connection c = db.connect()) {
      Checks.requireInstalled(c, db.schema);
    }
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(db.jdbcUrl);
    pool.setDataSourceProperties(db.credentials());
    pool.setPoolName("pgpubsub-dashboard");
    pool.setMaximumPoolSize(4);
    pool.setConnectionTimeout(3000); // a database outage shows as the page's banner within seconds
    pool.setInitializationFailTimeout(-1);
    String writeToken = readOnly ? null : token == null || token.isBlank() ? randomToken() : token;
    PrintWriter out = spec.commandLine().getOut();
    CountDownLatch stopped = new CountDownLatch(1);
    try (HikariDataSource dataSource = new HikariDataSource(pool)) {
      Dashboard.Builder dashboard =
          Dashboard.builder(dataSource)
              .schema(db.schema)
              .readOnly(readOnly)
              .refresh(refresh)
              .lagThreshold(lagThreshold)
              .allowedHosts(allowedHosts);
      if (writeToken != null) {
        dashboard.token(writeToken);
      }
      if (readToken != null && !readToken.isBlank()) {
        dashboard.readToken(readToken);
      }
      Path written = null;
      if (writeToken != null && (token == null || token.isBlank())) {
        written = writeToken(writeToken);
      }
      try (DashboardServer server = DashboardServer.start(dashboard.build(), new InetSocketAddress(bind, port))) {
        Thread hook = new Thread(stopped::countDown, "pgpubsub-dashboard-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("pgpubsub dashboard at " + server.url() + (readOnly ? " (read-only)" : ""));
        if (written != null) {
          // never the token itself: stdout ends up in logs and terminal scrollback
          out.println("write token in " + written + ": enter it in the page's token box to enable retry and purge");
        }
        out.flush();
        try {
          stopped.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException e) {
            // already shutting down
          }
        }
      }
    }
    return ExitCode.OK;
  }

  /** Writes {@code value} to the token file, readable and writable by its owner only where the file system can say so. */
  private Path writeToken(String value) throws IOException {
    Path file =
        tokenFile != null
            ? tokenFile
            : Path.of(System.getProperty("user.home"), ".pgpubsub", "dashboard.token");
    Path dir = file.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
    }
    Files.deleteIfExists(file);
    boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    if (posix) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(file);
    }
    Files.writeString(file, value + System.lineSeparator(), StandardCharsets.UTF_8);
    return file.toAbsolutePath();
  }

  private static String randomToken() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
