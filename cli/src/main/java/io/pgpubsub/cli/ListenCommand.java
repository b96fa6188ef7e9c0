package io.pgpubsub.cli;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgpubsub.DrainResult;
import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.hibernate.SchemaManagement;
import io.pgpubsub.hibernate.HibernatePubSub;
import io.pgpubsub.hibernate.PubSubSettings;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ChannelRegistry;
import io.pgpubsub.spi.Registries;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.Persistence;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
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
      "Runs a listener that calls your @...Listener methods.",
      "It LISTENs on the channels, first processes what was stored while no listener ran (unless --no-recover),"
          + " and stops gracefully on SIGTERM or SIGINT: in-flight callbacks finish within --grace-period, then it"
          + " exits 0. With --drain it processes what is stored now, prints the counts and exits.",
      "Hibernate maps every @Entity, @Embeddable, @MappedSuperclass and @Converter class of the packages of your"
          + " generated channel registries (and their subpackages), plus --packages and --entity; or give"
          + " --persistence-unit."
    })
final class ListenCommand implements Callable<Integer> {

  /**
   * The values of --schema-management: the Hibernate integration's enum (not a copy), listed and parsed in lower
   * case, any case accepted.
   */
  static final class SchemaManagementValues
      implements Iterable<String>, picocli.CommandLine.ITypeConverter<SchemaManagement> {
    @Override
    public java.util.Iterator<String> iterator() {
      return java.util.Arrays.stream(SchemaManagement.values())
          .map(v -> v.name().toLowerCase(Locale.ROOT)).iterator();
    }

    @Override
    public SchemaManagement convert(String value) {
      try {
        return SchemaManagement.parse(value); // the same words as hibernate.pgpubsub.schema_management
      } catch (IllegalArgumentException e) {
        List<String> names = new ArrayList<>();
        iterator().forEachRemaining(names::add);
        throw new picocli.CommandLine.TypeConversionException("expected one of " + names + " but was '" + value + "'");
      }
    }
  }

  /** The values of --log-level. */
  enum LogLevel {
    error,
    warn,
    info,
    debug,
    trace
  }

  @Spec CommandSpec spec;

  @Mixin AppClasspath app;

  @Mixin DatabaseOptions db;

  @Option(
      names = "--listen-url",
      defaultValue = "${env:PGPUBSUB_LISTEN_URL}",
      description =
          "A direct JDBC URL for the LISTEN connection (env PGPUBSUB_LISTEN_URL), when --jdbc-url goes through"
              + " PgBouncer in transaction mode.")
  String listenUrl;

  @Option(names = "--channels", split = ",", description = "Channels to serve, comma separated. Default: every channel with a listener on the class path.")
  List<String> channels;

  @Option(names = "--workers", description = "Worker threads (and pooled connections). Default: the library's, 2.")
  Integer workers;

  @Option(names = "--batch-size", description = "Notifications claimed per transaction. Default: the library's, 200.")
  Integer batchSize;

  @Option(names = "--poll-interval", converter = Durations.class, description = "Safety-net poll interval: 500ms, 2s, PT1S. Default: 1s.")
  Duration pollInterval;

  @Option(names = "--recover", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Process the backlog stored before start (default). --no-recover leaves it to other listeners.")
  boolean recover;

  @Option(names = "--max-attempts", defaultValue = "" + RetryPolicy.DEFAULT_MAX_ATTEMPTS, description = "Attempts per notification before it is dead. Default: ${DEFAULT-VALUE}.")
  int maxAttempts;

  @Option(names = "--retry-delay", converter = Durations.class, description = "First retry delay; it doubles per attempt (with jitter) up to --max-retry-delay. Default: the library's, 1s.")
  Duration retryDelay;

  @Option(names = "--max-retry-delay", converter = Durations.class, description = "Longest retry delay. Default: the library's, 5m.")
  Duration maxRetryDelay;

  @Option(names = "--grace-period", converter = Durations.class, description = "How long a stop waits for in-flight callbacks. Default: the library's, 30s.")
  Duration gracePeriod;

  @Option(names = "--callback-timeout", converter = Durations.class, description = "How long one notification's callbacks may run before their batch is rolled back and the attempt fails. Default: the library's, 5m.")
  Duration callbackTimeout;

  @Option(names = "--persistence-unit", description = "Boot Hibernate from this unit of META-INF/persistence.xml (its JDBC settings are replaced by --jdbc-url/--user/--password).")
  String persistenceUnit;

  @Option(names = "--packages", split = ",", description = "Further packages whose entities Hibernate maps (with their subpackages), comma separated.")
  List<String> packages;

  @Option(names = "--entity", split = ",", description = "Further entity classes to map, comma separated.")
  List<String> entities;

  @Option(names = "--schema-management", defaultValue = "validate", completionCandidates = SchemaManagementValues.class, converter = SchemaManagementValues.class, description = "What the boot does with the notification table and triggers: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE} (a listener checks; the application or its migrations install).")
  SchemaManagement schemaManagement;

  @Option(names = "--log-level", defaultValue = "info", description = "Level of every log (pgpubsub, Hibernate, HikariCP): ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  LogLevel logLevel;

  @Option(names = "--drain", description = "Process what is stored now, print how many were processed, failed and left dead, and exit.")
  boolean drain;

  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile Listener running;

  @Override
  public Integer call() throws Exception {
    Logging.configure(logLevel.name());
    checkOptions();
    PrintWriter out = spec.commandLine().getOut();
    try (AppClasspath.Scope scope = app.open()) {
      List<ChannelDefinition> all = registryChannels();
      List<ChannelDefinition> served = selectChannels(all);
      try (Connection c = db.connect()) {
        Checks.requireInstalled(c, db.schema);
      }
      boolean needsHibernate = served.stream().anyMatch(ChannelDefinition::trigger);
      try (HikariDataSource pool = needsHibernate ? pool() : null) {
        EntityManagerFactory emf = needsHibernate ? bootHibernate(all, pool, out) : null;
        try {
          Listener.Builder builder;
          if (emf != null) {
            builder = HibernatePubSub.listener(emf.unwrap(SessionFactory.class), pool);
            builder.listenUrl(listenUrl != null && !listenUrl.isBlank() ? listenUrl : db.jdbcUrl);
            builder.user(db.user).password(db.password);
          } else {
            builder = Listener.builder().channelDefinitions(all).jdbcUrl(db.jdbcUrl).user(db.user).password(db.password);
            if (listenUrl != null && !listenUrl.isBlank()) {
              builder.listenUrl(listenUrl);
            }
          }
          builder.schema(db.schema);
          if (channels != null) {
            builder.channels(channels);
          }
          if (workers != null) {
            builder.workers(workers);
          }
          if (batchSize != null) {
            builder.batchSize(batchSize);
          }
          if (pollInterval != null) {
            builder.pollInterval(pollInterval);
          }
          if (callbackTimeout != null) {
            builder.callbackTimeout(callbackTimeout);
          }
          if (gracePeriod != null) {
            builder.gracePeriod(gracePeriod);
          }
          builder
              .recoverOnStart(recover || drain)
              .retryPolicy(RetryPolicy.exponential(
                  maxAttempts,
                  retryDelay != null ? retryDelay : RetryPolicy.DEFAULT_INITIAL_DELAY,
                  maxRetryDelay != null ? maxRetryDelay : RetryPolicy.DEFAULT_MAX_DELAY));
          Listener listener;
          try {
            listener = builder.build();
          } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CliException(ExitCode.USAGE, CliException.oneLine(e.getMessage()));
          }
          installSignalHandlers();
          try (Listener started = start(listener)) {
            running = started;
            out.println("pgpubsub: listening on " + started.channels() + " (" + started + ")");
            out.flush();
            if (drain) {
              DrainResult result;
              try {
                result = started.drain(Duration.ofDays(365));
              } catch (IllegalStateException e) {
                throw new CliException(ExitCode.FAILURE, "stopped before everything was drained: " + CliException.oneLine(e.getMessage()));
              }
              out.println("pgpubsub: drained: " + result);
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
    }
  }

  /** Everything that can be checked without the database, before anything boots. */
  private void checkOptions() {
    atLeastOne("--workers", workers);
    atLeastOne("--batch-size", batchSize);
    atLeastOne("--max-attempts", maxAttempts);
    positive("--poll-interval", pollInterval);
    positive("--retry-delay", retryDelay);
    positive("--max-retry-delay", maxRetryDelay);
    positive("--grace-period", gracePeriod);
    positive("--callback-timeout", callbackTimeout);
    if (persistenceUnit != null && (packages != null || entities != null)) {
      throw new CliException(ExitCode.USAGE, "--persistence-unit lists the entities itself: leave out --packages and --entity");
    }
  }

  private static void atLeastOne(String option, Integer value) {
    if (value != null && value < 1) {
      throw new CliException(ExitCode.USAGE, option + " must be at least 1, got " + value);
    }
  }

  private static void positive(String option, Duration value) {
    if (value != null && (value.isZero() || value.isNegative())) {
      throw new CliException(ExitCode.USAGE, option + " must be a positive duration, got " + value);
    }
  }

  private static List<ChannelDefinition> registryChannels() {
    List<ChannelDefinition> all;
    try {
      all = Registries.channels();
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.USAGE, CliException.oneLine(e.getMessage()));
    }
    if (all.isEmpty()) {
      throw new CliException(
          ExitCode.USAGE,
          "no channels on the class path: give your application's classes with --classpath (or PGPUBSUB_CLASSPATH);"
              + " they must be compiled with pgpubsub-processor in annotationProcessorPaths");
    }
    return all;
  }

  private List<ChannelDefinition> selectChannels(List<ChannelDefinition> all) {
    Map<String, ChannelDefinition> byName = new HashMap<>();
    all.forEach(c -> byName.put(c.name(), c));
    if (channels == null) {
      return all.stream().filter(c -> !c.listeners().isEmpty()).toList();
    }
    List<ChannelDefinition> out = new ArrayList<>();
    for (String name : channels) {
      ChannelDefinition c = byName.get(name);
      if (c == null) {
        throw new CliException(
            ExitCode.USAGE, "--channels: unknown channel '" + name + "'; channels on the class path: " + new TreeSet<>(byName.keySet()));
      }
      if (c.listeners().isEmpty()) {
        throw new CliException(ExitCode.USAGE, "--channels: channel '" + name + "' has no listener method on the class path");
      }
      out.add(c);
    }
    return out;
  }

  private Listener start(Listener listener) {
    try {
      return listener.start();
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.FAILURE, CliException.oneLine(e.getMessage()));
    }
  }

  /** The connections of Hibernate and the workers: one HikariCP pool (not Hibernate's built-in pool). */
  private HikariDataSource pool() {
    HikariConfig h = new HikariConfig();
    h.setPoolName("pgpubsub-listen");
    h.setJdbcUrl(db.jdbcUrl);
    if (db.user != null && !db.user.isBlank()) {
      h.setUsername(db.user);
    }
    if (db.password != null) {
      h.setPassword(db.password);
    }
    if (!db.jdbcUrl.contains("ApplicationName=")) {
      h.addDataSourceProperty("ApplicationName", "pgpubsub-worker");
    }
    h.setMaximumPoolSize((workers != null ? workers : 2) + 2); // workers, the listener's own work, Hibernate's boot
    return new HikariDataSource(h);
  }

  /** Asks a running {@code listen} to stop gracefully, as SIGTERM does. */
  void requestStop() {
    stop.countDown();
    Listener l = running;
    if (l != null && drain) {
      l.close();
    }
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

  /** The packages whose managed classes are mapped: those of the generated registries, and --packages. */
  private Set<String> packagesToScan() {
    Set<String> out = new TreeSet<>();
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    for (ServiceLoader.Provider<ChannelRegistry> p : ServiceLoader.load(ChannelRegistry.class, cl).stream().toList()) {
      out.add(p.type().getPackageName());
    }
    if (packages != null) {
      out.addAll(packages);
    }
    return out;
  }

  private EntityManagerFactory bootHibernate(List<ChannelDefinition> channels, HikariDataSource pool, PrintWriter out) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("hibernate.connection.datasource", pool);
    settings.put(PubSubSettings.SCHEMA, db.schema);
    settings.put(PubSubSettings.SCHEMA_MANAGEMENT, schemaManagement.name().toLowerCase(Locale.ROOT));
    settings.put("hibernate.hbm2ddl.auto", "none");
    try {
      if (persistenceUnit != null) {
        return Persistence.createEntityManagerFactory(persistenceUnit, settings);
      }
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      Set<String> scanned = packagesToScan();
      Set<Class<?>> managed = new java.util.LinkedHashSet<>(EntityScan.scan(cl, scanned));
      for (ChannelDefinition c : channels) {
        if (c.trigger()) {
          managed.add(c.payloadType());
        }
      }
      if (entities != null) {
        for (String name : entities) {
          try {
            managed.add(Class.forName(name, false, cl));
          } catch (ClassNotFoundException e) {
            throw new CliException(ExitCode.USAGE, "--entity " + name + ": no such class on the class path");
          }
        }
      }
      HibernatePersistenceConfiguration config = new HibernatePersistenceConfiguration("pgpubsub-listen");
      managed.forEach(config::managedClass);
      config.properties(settings);
      long count = managed.stream().filter(t -> t.isAnnotationPresent(jakarta.persistence.Entity.class)).count();
      out.println(
          "pgpubsub: mapping "
              + count
              + " entities from "
              + scanned
              + " (a callback that uses an entity of another package needs --packages or --entity)");
      return config.createEntityManagerFactory();
    } catch (CliException e) {
      throw e;
    } catch (RuntimeException e) {
      Throwable root = e;
      StringBuilder why = new StringBuilder(CliException.oneLine(e.getMessage()));
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      if (root != e) {
        why.append(": ").append(CliException.oneLine(root.getMessage()));
      }
      String message = why.toString();
      if (message.toLowerCase(Locale.ROOT).contains("pgpubsub")) {
        throw new CliException(ExitCode.FAILURE, "Hibernate could not start: " + String.valueOf(e.getMessage()).strip());
      }
      throw new CliException(ExitCode.FAILURE, "Hibernate could not start: " + message);
    }
  }
}
