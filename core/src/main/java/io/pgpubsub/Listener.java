package io.pgpubsub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.Engine;
import io.pgpubsub.internal.Json;
import io.pgpubsub.internal.ListenerConfig;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import io.pgpubsub.spi.RowDecoder;
import io.pgpubsub.spi.TransactionResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Listens on channels, claims their stored notifications and runs their listener methods.
 *
 * <pre>{@code
 * try (Listener listener = Listener.builder()
 *     .jdbcUrl("jdbc:postgresql://db/app").user("app").password(secret)
 *     .channels("media")
 *     .build()
 *     .start()) {
 *   ... // until the application stops
 * }
 * }</pre>
 *
 * <p>One dedicated connection LISTENs; {@code workers} threads claim notifications in batches with {@code
 * FOR UPDATE SKIP LOCKED} on a HikariCP pool and run each notification's callbacks in the transaction that
 * removes it. See docs/listener.md for every option and docs/guarantees.md for the exact delivery guarantees.
 * {@link #close()} stops gracefully and is idempotent.
 */
public final class Listener implements AutoCloseable {

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  // The defaults of the builder's options, written once: the Spring Boot properties and the CLI refer to these.
  /** The default of {@link Builder#workers(int)}. */
  public static final int DEFAULT_WORKERS = 2;
  /** The default of {@link Builder#batchSize(int)}. */
  public static final int DEFAULT_BATCH_SIZE = 200;
  /** The default of {@link Builder#pollInterval(Duration)}. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
  /** The default of {@link Builder#recoverOnStart(boolean)}. */
  public static final boolean DEFAULT_RECOVER_ON_START = true;
  /** The default of {@link Builder#gracePeriod(Duration)}. */
  public static final Duration DEFAULT_GRACE_PERIOD = Duration.ofSeconds(30);
  /** The default of {@link Builder#callbackTimeout(Duration)}. */
  public static final Duration DEFAULT_CALLBACK_TIMEOUT = Duration.ofMinutes(5);
  /** The default first delay of {@link Builder#reconnectDelay(Duration, Duration)}. */
  public static final Duration DEFAULT_RECONNECT_INITIAL_DELAY = Duration.ofMillis(100);
  /** The default longest delay of {@link Builder#reconnectDelay(Duration, Duration)}. */
  public static final Duration DEFAULT_RECONNECT_MAX_DELAY = Duration.ofSeconds(30);

  private final ListenerConfig config;
  private final Engine engine;
  /** The WAL transport's runtime when {@link Builder#transport(Transport)} is {@link Transport#WAL}, else null. */
  private final io.pgpubsub.internal.WalEngine wal;

  private Listener(ListenerConfig config) {
    this(config, null);
  }

  private Listener(ListenerConfig config, String walSlot) {
    this.config = config;
    this.wal = walSlot != null ? new io.pgpubsub.internal.WalEngine(config, walSlot) : null;
    this.engine = wal == null ? new Engine(config) : null;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Checks the database (notification table, LISTEN), creates the listener instances and starts the LISTEN
   * thread ({@code pgpubsub-listener}) and the workers ({@code pgpubsub-worker-N}).
   *
   * @return this
   * @throws IllegalStateException naming the problem when the database or a listener class is not usable,
   *     or when called twice; nothing is left running then
   */
  public Listener start() {
    if (wal != null) {
      wal.start();
      return this;
    }
    engine.start();
    return this;
  }

  /**
   * Graceful stop: no new claims; batches in flight finish within the grace period; after it, workers are
   * interrupted and their transactions rolled back (their notifications stay stored for the next listener);
   * connections are closed. Idempotent; safe to call on a listener that never started. Called from inside a
   * callback, it returns at once and the listener stops once that callback's batch has committed.
   */
  @Override
  public void close() {
    if (wal != null) {
      wal.close();
      return;
    }
    engine.close();
  }

  /** True between a successful {@link #start()} and {@link #close()}. */
  public boolean isRunning() {
    return wal != null ? wal.running() : engine.running();
  }

  /**
   * True while the listener runs and its LISTEN connection is up; false while it reconnects after a lost
   * connection (notifications committed meanwhile are found by the re-scan that follows every reconnect).
   */
  public boolean isListening() {
    return wal != null ? wal.leader() : engine.listening();
  }

  /**
   * This listener's channels that it found paused ({@link ChannelControl}) at its last look, about every second;
   * for tests.
   */
  java.util.Set<String> pausedChannels() {
    return engine.pausedChannels();
  }

  /** Worker threads, as configured. */
  public int workers() {
    return config.workers();
  }

  /** Notifications claimed per batch, as configured. */
  public int batchSize() {
    return config.batchSize();
  }

  /** The safety-net poll interval, as configured. */
  public Duration pollInterval() {
    return config.pollInterval();
  }

  /** The schema of the notification table. */
  public String schema() {
    return config.schema();
  }

  /** This listener's name, as used in its log lines and metric tags. */
  public String name() {
    return config.name();
  }

  /** The channels this listener serves. */
  public List<String> channels() {
    return config.channelNames();
  }

  /**
   * Processes everything stored now: waits until every notification of this listener's channels that was
   * stored before the call (ready, or waiting for a retry delay) has been processed or is dead, and returns
   * what this listener did since it started, or since the previous {@code drain}/{@link #awaitIdle} returned
   * (so a test that writes, then drains, gets the counts of its writes even when the listener processed some
   * of them before the call). Notifications stored during the call may be processed too (and are then
   * counted), but are not waited for. Rows held back by {@code recoverOnStart(false)} or another listener's
   * {@code payloadFilter} are not this listener's. The counts are exact: every batch that removed a row has
   * been counted when this returns. Meant for tests and batch jobs ({@code pgpubsub listen --drain}).
   *
   * @param timeout how long to wait at most
   * @throws IllegalStateException when the listener is not running, stops meanwhile, or has not drained within
   *     {@code timeout} (the message says how many notifications are left)
   */
  public DrainResult drain(Duration timeout) {
    if (wal != null) {
      return wal.drain(Objects.requireNonNull(timeout, "timeout"));
    }
    return engine.drain(Objects.requireNonNull(timeout, "timeout"), false);
  }

  /** {@link #drain(Duration)} with a timeout of one minute. */
  public DrainResult drain() {
    return drain(Duration.ofMinutes(1));
  }

  /**
   * Like {@link #drain(Duration)}, but also waits for notifications stored during the wait: returns once none
   * of this listener's channels has a notification left that is not dead.
   */
  public DrainResult awaitIdle(Duration timeout) {
    if (wal != null) {
      return wal.drain(Objects.requireNonNull(timeout, "timeout"));
    }
    return engine.drain(Objects.requireNonNull(timeout, "timeout"), true);
  }

  /** Dead notifications of this listener's database and schema (uses the listener's pool; start first). */
  public DeadLetters deadLetters() {
    javax.sql.DataSource pool = wal != null ? wal.pool() : engine.pool();
    if (pool == null) {
      throw new IllegalStateException("listener '" + name() + "' is not started");
    }
    return DeadLetters.of(pool, config.schema());
  }

  /** The transport, as configured. */
  public Transport transport() {
    return wal != null ? Transport.WAL : Transport.TABLE;
  }

  /**
   * The replication slot of a {@link Transport#WAL} listener as PostgreSQL reports it now: retained WAL, lag,
   * whether this process reads it, and why it stopped reading (a dropped or invalidated slot).
   *
   * @throws IllegalStateException for a listener of the table transport, or one not started
   */
  public WalStatus walStatus() {
    if (wal == null) {
      throw new IllegalStateException("listener '" + name() + "' uses the table transport: it has no slot");
    }
    return wal.status();
  }

  @Override
  public String toString() {
    return "Listener["
        + name()
        + " "
        + channels()
        + ", "
        + config.workers()
        + " worker(s), batch size "
        + config.batchSize()
        + "]";
  }

  /** Configures a {@link Listener}; {@link #build()} validates everything and freezes it. */
  public static final class Builder {
    private String name;
    private DataSource dataSource;
    private String jdbcUrl;
    private String user;
    private String password;
    private String listenUrl;
    private List<String> channels;
    private List<ChannelDefinition> channelDefinitions;
    private int workers = DEFAULT_WORKERS;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private RetryPolicy retryPolicy = RetryPolicy.defaults();
    private boolean recoverOnStart = DEFAULT_RECOVER_ON_START;
    private RowDecoder rowDecoder;
    private TransactionResources transactionResources;
    private Function<Class<?>, Object> listenerFactory;
    private String payloadFilter;
    private String schema = NotificationTable.DEFAULT_SCHEMA;
    private boolean installSchema;
    private Duration gracePeriod = DEFAULT_GRACE_PERIOD;
    private Duration callbackTimeout = DEFAULT_CALLBACK_TIMEOUT;
    private Duration reconnectInitialDelay = DEFAULT_RECONNECT_INITIAL_DELAY;
    private Duration reconnectMaxDelay = DEFAULT_RECONNECT_MAX_DELAY;
    private ObjectMapper objectMapper;
    private Object meterRegistry;
    private Transport transport = Transport.TABLE;
    private String walSlot;

    private Builder() {}

    /**
     * How notifications travel: {@link Transport#TABLE} (the default, any PostgreSQL) or {@link Transport#WAL}
     * (opt-in: {@code wal_level = logical}, the REPLICATION right, a JDBC URL for the replication connection).
     * See docs/wal-transport.md.
     */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * The logical replication slot of a {@link Transport#WAL} listener, created by the listener when it does not
     * exist. Every process of one application gives the same name (they elect one reader); applications that
     * share a database give different names. Default {@code pgpubsub_<schema>}.
     */
    public Builder walSlot(String walSlot) {
      this.walSlot = walSlot;
      return this;
    }

    /** Name used in log lines, the pool name and metric tags. Default: {@code listener-N}. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /**
     * Where workers get connections. A {@code HikariDataSource} is used as it is (and not closed by us); any
     * other DataSource is wrapped in a HikariCP pool of {@code workers + 1} connections. Without {@link
     * #listenUrl}, the LISTEN connection is also taken from it (and held for the listener's lifetime).
     * Replaces a {@link #jdbcUrl} given before (for example by {@code HibernatePubSub.listener(sf)}).
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = dataSource;
      if (dataSource != null) {
        this.jdbcUrl = null;
      }
      return this;
    }

    /**
     * JDBC URL for a HikariCP pool of {@code workers + 1} connections (and the LISTEN connection). Replaces
     * a {@link #dataSource} given before.
     */
    public Builder jdbcUrl(String jdbcUrl) {
      this.jdbcUrl = jdbcUrl;
      if (jdbcUrl != null) {
        this.dataSource = null;
      }
      return this;
    }

    public Builder user(String user) {
      this.user = user;
      return this;
    }

    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /**
     * A direct JDBC URL for the LISTEN connection, when the workers' URL or DataSource goes through a
     * transaction pooler (PgBouncer) that cannot LISTEN. Uses {@link #user}/{@link #password}.
     */
    public Builder listenUrl(String listenUrl) {
      this.listenUrl = listenUrl;
      return this;
    }

    /** The channels to serve. Default: every channel of {@link #channelDefinitions} that has a listener. */
    public Builder channels(String... channels) {
      return channels(Arrays.asList(channels));
    }

    public Builder channels(Collection<String> channels) {
      this.channels = new ArrayList<>(channels);
      return this;
    }

    /** The channel model. Default: {@link Registries#channels()} (the generated registries). */
    public Builder channelDefinitions(List<ChannelDefinition> definitions) {
      this.channelDefinitions = new ArrayList<>(definitions);
      return this;
    }

    /** Worker threads (each holds at most one pool connection). Default 2. */
    public Builder workers(int workers) {
      this.workers = workers;
      return this;
    }

    /** Notifications claimed per statement and transaction. Default 200; lower it for slow callbacks (a batch is one transaction, and a stop after the grace period re-runs all of it). */
    public Builder batchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** Safety-net poll when no NOTIFY arrives. Default 1 s. */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
      return this;
    }

    /** Default {@link RetryPolicy#defaults()}: 5 attempts, 1 s doubling up to 5 min, with jitter. */
    public Builder retryPolicy(RetryPolicy retryPolicy) {
      this.retryPolicy = retryPolicy;
      return this;
    }

    /**
     * true (default): process everything stored, including what was stored before start. false: leave
     * notifications stored before start to other listeners (a dedicated recovering process).
     */
    public Builder recoverOnStart(boolean recoverOnStart) {
      this.recoverOnStart = recoverOnStart;
      return this;
    }

    /** Decodes trigger rows to entities (the Hibernate integration supplies it). Default: Jackson, snake_case. */
    public Builder rowDecoder(RowDecoder rowDecoder) {
      this.rowDecoder = rowDecoder;
      return this;
    }

    /** Supplies Session/EntityManager sharing the worker's transaction (the Hibernate integration). */
    public Builder transactionResources(TransactionResources transactionResources) {
      this.transactionResources = transactionResources;
      return this;
    }

    /** Creates listener instances, one per class, at start. Default: the public no-argument constructor. */
    public Builder listenerFactory(Function<Class<?>, Object> listenerFactory) {
      this.listenerFactory = listenerFactory;
      return this;
    }

    /**
     * Only claim notifications whose payload contains this JSON ({@code payload @> filter}), e.g. {@code
     * {"context":{"tenant":"acme"}}} for per-tenant workers. Default: none.
     */
    public Builder payloadFilter(String jsonContainment) {
      this.payloadFilter = jsonContainment;
      return this;
    }

    /** Schema of the notification table. Default {@code public}. */
    public Builder schema(String schema) {
      this.schema = schema;
      return this;
    }

    /** Create the notification tables (idempotently) at start. Default false. */
    public Builder installSchema(boolean installSchema) {
      this.installSchema = installSchema;
      return this;
    }

    /**
     * How long {@link Listener#close()} lets in-flight batches finish. Default 30 s. After it, batches are
     * rolled back, and a notification whose callbacks are still running counts a failed attempt.
     */
    public Builder gracePeriod(Duration gracePeriod) {
      this.gracePeriod = gracePeriod;
      return this;
    }

    /**
     * How long one notification's callbacks may run. After it, the worker's batch is rolled back (its server
     * process is terminated), the notification's attempt is recorded as failed ("timed out after ...", then
     * retried or dead per the retry policy), and the worker is replaced: its thread is interrupted and
     * abandoned. Default 5 minutes: far above any callback that works (bound your own HTTP and lock waits
     * well below it), short enough that a hung callback neither holds its rows and batch for long nor keeps
     * writers from sending their NOTIFY.
     */
    public Builder callbackTimeout(Duration callbackTimeout) {
      this.callbackTimeout = callbackTimeout;
      return this;
    }

    /** Back-off after a lost connection: from {@code initial}, doubling, at most {@code max}, with jitter. Default 100 ms .. 30 s. */
    public Builder reconnectDelay(Duration initial, Duration max) {
      this.reconnectInitialDelay = initial;
      this.reconnectMaxDelay = max;
      return this;
    }

    /**
     * The mapper for payloads and plain-channel records (must read what the writers' {@link Notifier}
     * wrote). Default: one new mapper per listener with JavaTimeModule.
     */
    public Builder objectMapper(ObjectMapper objectMapper) {
      this.objectMapper = objectMapper;
      return this;
    }

    /**
     * A Micrometer {@code MeterRegistry} (typed Object so that Micrometer stays optional). Default: Micrometer's
     * global registry when Micrometer is on the class path, no metrics otherwise.
     */
    public Builder meterRegistry(Object meterRegistry) {
      this.meterRegistry = meterRegistry;
      return this;
    }

    /** Validates the configuration and freezes it. */
    public Listener build() {
      if (dataSource == null && jdbcUrl == null) {
        throw new IllegalArgumentException("give dataSource(...) or jdbcUrl(...): where the workers get connections");
      }
      if (jdbcUrl != null && !jdbcUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:, got " + jdbcUrl);
      }
      if (listenUrl != null && !listenUrl.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("listenUrl must start with jdbc:postgresql:, got " + listenUrl);
      }
      positive("workers", workers);
      positive("batchSize", batchSize);
      positive("pollInterval", pollInterval);
      positive("gracePeriod", gracePeriod);
      positive("callbackTimeout", callbackTimeout);
      positive("reconnectDelay initial", reconnectInitialDelay);
      positive("reconnectDelay max", reconnectMaxDelay);
      Objects.requireNonNull(retryPolicy, "retryPolicy");
      NotificationTable.ddl(schema); // validates the schema name
      ObjectMapper mapper = objectMapper != null ? objectMapper : Json.newMapper();
      String filter = null;
      if (payloadFilter != null) {
        try {
          JsonNode f = mapper.readTree(payloadFilter);
          if (f == null || !f.isObject()) {
            throw new IllegalArgumentException("payloadFilter must be a JSON object, got: " + payloadFilter);
          }
          filter = mapper.writeValueAsString(f);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
          throw new IllegalArgumentException(
              "payloadFilter is not valid JSON: " + payloadFilter + " (" + e.getOriginalMessage() + ")", e);
        }
      }
      List<ChannelDefinition> all = channelDefinitions != null ? channelDefinitions : Registries.channels();
      Map<String, ChannelDefinition> byName = new LinkedHashMap<>();
      for (ChannelDefinition c : all) {
        ChannelNames.validate(c.name());
        if (byName.putIfAbsent(c.name(), c) != null) {
          throw new IllegalArgumentException("channel '" + c.name() + "' is defined twice");
        }
      }
      List<ChannelDefinition> selected = new ArrayList<>();
      if (channels == null) {
        for (ChannelDefinition c : byName.values()) {
          if (!c.listeners().isEmpty()) {
            selected.add(c);
          }
        }
        if (selected.isEmpty()) {
          throw new IllegalArgumentException(
              channelDefinitions == null && all.isEmpty()
                  ? "no channel found: there is no generated channel registry on the class path. If your"
                      + " application has @TriggerChannel entities or @Channel records, "
                      + Registries.missingProcessorFix()
                  : "no channel with a listener found in "
                      + (channelDefinitions == null ? "the generated registries " : "channelDefinitions(...) ")
                      + byName.keySet()
                      + ": write a @PostSaveListener (or insert/update/delete/@ChannelListener) method for one");
        }
      } else {
        if (channels.isEmpty()) {
          throw new IllegalArgumentException("channels(...) is empty");
        }
        for (String ch : channels) {
          ChannelNames.validate(ch);
          ChannelDefinition c = byName.get(ch);
          if (c == null) {
            throw new IllegalArgumentException(
                "unknown channel '" + ch + "'; known channels: " + byName.keySet());
          }
          if (c.isStream()) {
            throw new IllegalArgumentException(
                "channel '" + ch + "' is a stream channel (@TriggerChannel(stream = true)): a Listener does not"
                    + " serve it; read it with a StreamConsumer (named, exactly-once database effects) or a"
                    + " StreamReader");
          }
          if (c.listeners().isEmpty()) {
            throw new IllegalArgumentException(
                "channel '" + ch + "' has no listener method in this application; serving it would consume"
                    + " its notifications without running anything");
          }
          if (!selected.contains(c)) {
            selected.add(c);
          }
        }
      }
      String n = name != null ? name : "listener-" + INSTANCES.incrementAndGet();
      String slot = null;
      if (transport == Transport.WAL) {
        slot = walSlot != null ? walSlot : "pgpubsub_" + schema.toLowerCase(java.util.Locale.ROOT);
        if (!slot.matches("[a-z0-9_]{1,63}")) {
          throw new IllegalArgumentException(
              "walSlot must be 1 to 63 lower-case letters, digits or underscores (PostgreSQL's rule for slot"
                  + " names), got: " + slot);
        }
        if (jdbcUrl == null && listenUrl == null) {
          throw new IllegalArgumentException(
              "the WAL transport opens a replication connection, which a DataSource cannot give: set"
                  + " listenUrl(...) (or jdbcUrl(...)) to a direct URL of the server");
        }
      } else if (walSlot != null) {
        throw new IllegalArgumentException("walSlot(...) is for transport(Transport.WAL) only");
      }
      return new Listener(
          new ListenerConfig(
              n,
              dataSource,
              jdbcUrl,
              user,
              password,
              listenUrl,
              selected,
              workers,
              batchSize,
              capped(pollInterval),
              retryPolicy,
              recoverOnStart,
              rowDecoder,
              transactionResources,
              listenerFactory != null ? listenerFactory : Listener::newInstance,
              filter,
              schema,
              installSchema,
              capped(gracePeriod),
              capped(callbackTimeout),
              capped(reconnectInitialDelay),
              capped(reconnectMaxDelay),
              mapper,
              meterRegistry),
          slot);
    }

    private static void positive(String what, int value) {
      if (value < 1) {
        throw new IllegalArgumentException(what + " must be at least 1, got " + value);
      }
    }

    /** Longer than about 292 years is as good as forever, and fits a long of nanoseconds. */
    private static Duration capped(Duration d) {
      Duration max = Duration.ofNanos(Long.MAX_VALUE);
      return d.compareTo(max) > 0 ? max : d;
    }

    private static void positive(String what, Duration value) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(what + " must be a positive duration, got " + value);
      }
    }
  }

  private static Object newInstance(Class<?> type) {
    try {
      return type.getConstructor().newInstance();
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(
          "listener class " + type.getName() + " has no public no-argument constructor, so the listener cannot"
              + " create it. Give it one; or create it yourself with Listener.Builder.listenerFactory(type -> ...);"
              + " in a Spring Boot application, let the application run its listener (pgpubsub-spring-boot-starter"
              + " creates listener classes as beans, constructor injection included) instead of `pgpubsub listen`",
          e);
    } catch (ReflectiveOperationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("the constructor of " + type.getName() + " failed: " + cause, cause);
    }
  }
}
