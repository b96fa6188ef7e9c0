package io.pgpubsub.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgpubsub.dashboard.Dashboard;
import io.pgpubsub.dashboard.DashboardServer;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Duration;
import java.util.Base64;
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
      "Writes need the token: the printed URL carries it (in its #fragment, which never reaches a server log)."
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
      description = "The token write actions need (env PGPUBSUB_DASHBOARD_TOKEN). Default: a random one, printed.")
  String token;

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
          Dashboard.builder(dataSource).schema(db.schema).readOnly(readOnly).refresh(refresh);
      if (writeToken != null) {
        dashboard.token(writeToken);
      }
      try (DashboardServer server = DashboardServer.start(dashboard.build(), new InetSocketAddress(bind, port))) {
        Thread hook = new Thread(stopped::countDown, "pgpubsub-dashboard-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("pgpubsub dashboard at " + server.url() + (readOnly ? " (read-only)" : ""));
        if (writeToken != null && (token == null || token.isBlank())) {
          out.println("open " + server.url() + "#token=" + writeToken + " to enable retry and purge");
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

  private static String randomToken() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
