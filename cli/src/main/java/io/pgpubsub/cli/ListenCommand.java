package io.pgpubsub.cli;

import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.hibernate.HibernatePubSub;
import io.pgpubsub.hibernate.PubSubSettings;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Persistence;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.hibernate.SessionFactory;
import org.hibernate.jpa.HibernatePersistenceConfiguration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import sun.misc.Signal;

@Command(
    name = "listen",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Runs a listener: LISTENs on the channels, processes stored notifications (those written while no",
      "listener ran first, with --recover) and calls the @...Listener methods found on the class path.",
      "Stops gracefully on SIGTERM or SIGINT (in-flight callbacks finish within --grace-period) and exits 0."
    })
final class ListenCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin DatabaseOptions db;

  @Option(
      names = "--listen-url",
      defaultValue = "${env:PGPUBSUB_LISTEN_URL}",
      description = {
        "A separate JDBC URL for the LISTEN connection (env PGPUBSUB_LISTEN_URL). Use a direct connection",
        "to PostgreSQL here when --jdbc-url goes through PgBouncer in transaction mode."
      })
  String listenUrl;

  @Option(names = "--channels", split = ",", description = "Channels to serve, comma separated. Default: every channel on the class path.")
  List<String> channels;

  @Option(names = "--workers", defaultValue = "2", description = "Worker threads (and pooled connections). Default: ${DEFAULT-VALUE}.")
  int workers;

  @Option(names = "--batch-size", defaultValue = "100", description = "Notifications claimed per transaction. Default: ${DEFAULT-VALUE}.")
  int batchSize;

  @Option(names = "--poll-interval", defaultValue = "PT1S", description = "Safety-net poll interval, ISO-8601 (PT1S) or 500ms / 2s. Default: 1s.", converter = Durations.class)
  Duration pollInterval;

  @Option(names = "--recover", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Process the stored backlog at start (default). --no-recover waits for new notifications, which the safety-net poll still finds.")
  boolean recover;

  @Option(names = "--max-attempts", defaultValue = "5", description = "Attempts per notification before it is dead. Default: ${DEFAULT-VALUE}.")
  int maxAttempts;

  @Option(names = "--retry-delay", defaultValue = "PT1S", converter = Durations.class, description = "First retry delay; doubles per attempt (with jitter) up to --max-retry-delay. Default: 1s.")
  Duration retryDelay;

  @Option(names = "--max-retry-delay", defaultValue = "PT5M", converter = Durations.class, description = "Longest retry delay. Default: 5m.")
  Duration maxRetryDelay;

  @Option(names = "--grace-period", defaultValue = "PT30S", converter = Durations.class, description = "How long a stop waits for in-flight callbacks. Default: 30s.")
  Duration gracePeriod;

  @Option(names = "--persistence-unit", description = "Boot Hibernate from this persistence unit (META-INF/persistence.xml); its JDBC settings are overridden by --jdbc-url/--user/--password.")
  String persistenceUnit;

  @Option(names = "--entity", split = ",", description = "Without --persistence-unit: further entity classes to map besides the @TriggerChannel entities (e.g. targets of their associations).")
  List<String> entities;

  @Option(names = "--schema-management", defaultValue = "validate", description = "What Hibernate boot does with the notification table and triggers: create, validate or none. Default: ${DEFAULT-VALUE}.")
  String schemaManagement;

  @Option(names = "--log-level", defaultValue = "info", description = "error, warn, info, debug or trace. Default: ${DEFAULT-VALUE}.")
  String logLevel;

  @Option(names = "--drain", description = "Process what is stored now, then stop and exit 0 (for batch jobs and tests).")
  boolean drain;

  private final CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", logLevel.toLowerCase());
    PrintWriter out = spec.commandLine().getOut();
    try (Connection c = db.connect()) {
      Checks.requireInstalled(c, db.schema);
    }
    List<ChannelDefinition> all = Registries.channels();
    if (all.isEmpty()) {
      throw new CliException(
          ExitCode.USAGE,
          "no channels on the class path: run listen with your application's class path (the module compiled with pgpubsub-processor)");
    }
    boolean needsHibernate = all.stream().anyMatch(ChannelDefinition::trigger);
    EntityManagerFactory emf = needsHibernate ? bootHibernate(all) : null;
    try {
      Listener.Builder builder =
          emf != null ? HibernatePubSub.listener(emf.unwrap(SessionFactory.class)) : Listener.builder().channelDefinitions(all);
      builder.jdbcUrl(db.jdbcUrl).user(db.user).password(db.password).schema(db.schema);
      if (listenUrl != null && !listenUrl.isBlank()) {
        builder.listenUrl(listenUrl);
      }
      if (channels != null && !channels.isEmpty()) {
        builder.channels(channels);
      }
      builder
          .workers(workers)
          .batchSize(batchSize)
          .pollInterval(pollInterval)
          .recoverOnStart(recover || drain)
          .gracePeriod(gracePeriod)
          .retryPolicy(RetryPolicy.exponential(maxAttempts, retryDelay, maxRetryDelay));
      Listener listener;
      try {
        listener = builder.build();
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new CliException(ExitCode.USAGE, CliException.oneLine(e.getMessage()));
      }
      installSignalHandlers();
      try (Listener running = listener.start()) {
        out.println("pgpubsub: listening on " + running.channels() + " (" + running.name() + ")");
        out.flush();
        if (drain) {
          awaitDrained(running.channels());
        } else {
          stop.await();
        }
        out.println("pgpubsub: stopping");
        out.flush();
      }
      out.println("pgpubsub: stopped");
      out.flush();
      return ExitCode.OK;
    } finally {
      if (emf != null) {
        emf.close();
      }
    }
  }

  /**
   * Waits until no notification of {@code served} is pending (dead ones do not count; ones waiting for a
   * retry do), or until a stop is requested.
   */
  private void awaitDrained(List<String> served) throws SQLException, InterruptedException {
    try (Connection c = db.connect();
        java.sql.PreparedStatement ps =
            c.prepareStatement(
                "select exists (select 1 from "
                    + db.schema
                    + ".pgpubsub_notification where channel = any(?) and dead_at is null)")) {
      ps.setArray(1, c.createArrayOf("text", served.toArray()));
      while (true) {
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            return;
          }
        }
        if (stop.await(100, java.util.concurrent.TimeUnit.MILLISECONDS)) {
          return;
        }
      }
    }
  }

  /** Asks a running {@code listen} to stop gracefully, as SIGTERM does. */
  void requestStop() {
    stop.countDown();
  }

  private void installSignalHandlers() {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), s -> requestStop());
      } catch (IllegalArgumentException e) {
        // signal not available on this platform: the JVM's default handling applies
      }
    }
  }

  private EntityManagerFactory bootHibernate(List<ChannelDefinition> channels) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("jakarta.persistence.jdbc.url", db.jdbcUrl);
    if (db.user != null) {
      settings.put("jakarta.persistence.jdbc.user", db.user);
    }
    if (db.password != null) {
      settings.put("jakarta.persistence.jdbc.password", db.password);
    }
    settings.put(PubSubSettings.SCHEMA, db.schema);
    settings.put(PubSubSettings.SCHEMA_MANAGEMENT, schemaManagement);
    settings.put("hibernate.hbm2ddl.auto", "none");
    try {
      if (persistenceUnit != null) {
        return Persistence.createEntityManagerFactory(persistenceUnit, settings);
      }
      HibernatePersistenceConfiguration config = new HibernatePersistenceConfiguration("pgpubsub-listen");
      for (ChannelDefinition c : channels) {
        if (c.trigger()) {
          config.managedClass(c.payloadType());
        }
      }
      if (entities != null) {
        for (String name : entities) {
          try {
            config.managedClass(Class.forName(name, false, Thread.currentThread().getContextClassLoader()));
          } catch (ClassNotFoundException e) {
            throw new CliException(ExitCode.USAGE, "--entity " + name + ": no such class on the class path");
          }
        }
      }
      config.properties(settings);
      return config.createEntityManagerFactory();
    } catch (CliException e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      throw new CliException(ExitCode.FAILURE, "Hibernate could not start: " + CliException.oneLine(root.getMessage()));
    }
  }
}
