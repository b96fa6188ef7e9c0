package io.pgpubsub.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.Transport;
import io.pgpubsub.hibernate.SchemaManagement;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.Errors;
import org.springframework.validation.Validator;

/**
 * {@code pgpubsub.*} properties. Every {@code Listener.Builder} option that is a value has a property under
 * {@code pgpubsub.listener}; the options that are objects come from the application context (the DataSource,
 * the EntityManagerFactory's row decoder and Session, the MeterRegistry, the bean factory for listener
 * instances).
 *
 * <p>Values are checked when they are bound (this class is its own {@link Validator}, which Boot applies without
 * a Bean Validation provider), so a bad value fails the start with Boot's report naming the property, e.g.
 * {@code pgpubsub.listener.workers}, rather than a builder method or a Hibernate setting.
 */
@ConfigurationProperties("pgpubsub")
public class PgPubSubProperties implements Validator {

  /**
   * Schema of the notification tables (pgpubsub_notification, pgpubsub_broadcast). Also sets Hibernate's
   * hibernate.pgpubsub.schema; must equal the processor's -Apgpubsub.schema. Default: Hibernate's setting,
   * else public.
   */
  private String schema;

  /**
   * What the Hibernate integration does at boot: create (install or update the notification table and the
   * triggers), validate (fail the boot when one is missing or stale; no DDL) or none. Default: validate
   * when pgpubsub's Flyway migration is on, else create. Sets hibernate.pgpubsub.schema_management.
   */
  private SchemaManagement schemaManagement;

  private final Listener listener = new Listener();

  private final Flyway flyway = new Flyway();

  private final Health health = new Health();

  private final Dashboard dashboard = new Dashboard();

  private final Web web = new Web();

  /**
   * Relays of ordered channels to brokers, by relay name: pgpubsub.relay.{name}.channel, .broker (kafka, rabbitmq or
   * nats), the broker's target and the relay's options (see docs/relays.md). Brokers are reached with
   * spring.kafka.*, spring.rabbitmq.* and pgpubsub.nats.url; the database is the application's DataSource.
   */
  private Map<String, Relay> relay = new LinkedHashMap<>();

  private final Nats nats = new Nats();

  public String getSchema() {
    return schema;
  }

  public void setSchema(String schema) {
    this.schema = schema;
  }

  public SchemaManagement getSchemaManagement() {
    return schemaManagement;
  }

  public void setSchemaManagement(SchemaManagement schemaManagement) {
    this.schemaManagement = schemaManagement;
  }

  public Listener getListener() {
    return listener;
  }

  public Flyway getFlyway() {
    return flyway;
  }

  public Health getHealth() {
    return health;
  }

  public Dashboard getDashboard() {
    return dashboard;
  }

  public Web getWeb() {
    return web;
  }

  public Map<String, Relay> getRelay() {
    return relay;
  }

  public void setRelay(Map<String, Relay> relay) {
    this.relay = relay;
  }

  public Nats getNats() {
    return nats;
  }

  @Override
  public boolean supports(Class<?> type) {
    return PgPubSubProperties.class.isAssignableFrom(type);
  }

  @Override
  public void validate(Object target, Errors errors) {
    PgPubSubProperties p = (PgPubSubProperties) target;
    Listener l = p.getListener();
    atLeast(errors, "listener.workers", l.getWorkers(), 1);
    atLeast(errors, "listener.batch-size", l.getBatchSize(), 1);
    atLeast(errors, "listener.retry.max-attempts", l.getRetry().getMaxAttempts(), 1);
    positive(errors, "listener.poll-interval", l.getPollInterval());
    notNegative(errors, "listener.grace-period", l.getGracePeriod());
    positive(errors, "listener.callback-timeout", l.getCallbackTimeout());
    notNegative(errors, "listener.retry.initial-delay", l.getRetry().getInitialDelay());
    positive(errors, "listener.retry.max-delay", l.getRetry().getMaxDelay());
    positive(errors, "listener.reconnect.initial-delay", l.getReconnect().getInitialDelay());
    positive(errors, "listener.reconnect.max-delay", l.getReconnect().getMaxDelay());
    if (l.getRetry().getInitialDelay() != null && l.getRetry().getMaxDelay() != null
        && l.getRetry().getInitialDelay().compareTo(l.getRetry().getMaxDelay()) > 0) {
      errors.rejectValue("listener.retry.initial-delay", "pgpubsub.order",
          "must not be longer than pgpubsub.listener.retry.max-delay (" + l.getRetry().getMaxDelay() + ")");
    }
    if (l.getReconnect().getInitialDelay() != null && l.getReconnect().getMaxDelay() != null
        && l.getReconnect().getInitialDelay().compareTo(l.getReconnect().getMaxDelay()) > 0) {
      errors.rejectValue("listener.reconnect.initial-delay", "pgpubsub.order",
          "must not be longer than pgpubsub.listener.reconnect.max-delay (" + l.getReconnect().getMaxDelay() + ")");
    }
    if (l.getWalSlot() != null && l.getTransport() != Transport.WAL) {
      errors.rejectValue("listener.wal-slot", "pgpubsub.wal",
          "is for pgpubsub.listener.transport=wal only (the transport is " + l.getTransport() + ")");
    } else if (l.getWalSlot() != null && !l.getWalSlot().matches("[a-z0-9_]{1,63}")) {
      errors.rejectValue("listener.wal-slot", "pgpubsub.wal",
          "must be 1 to 63 lower-case letters, digits or underscores (PostgreSQL's rule for slot names)");
    }
    String path = p.getDashboard().getPath();
    if (path == null || !path.startsWith("/") || path.replaceAll("/+$", "").length() < 2 || path.contains("*")) {
      errors.rejectValue("dashboard.path", "pgpubsub.path", "must be a path such as /pgpubsub");
    }
    Web w = p.getWeb();
    String webPath = w.getPath();
    if (webPath == null || !webPath.startsWith("/") || webPath.replaceAll("/+$", "").length() < 2 || webPath.contains("*")) {
      errors.rejectValue("web.path", "pgpubsub.path", "must be a path such as /pgpubsub/events");
    }
    atLeast(errors, "web.max-connections", w.getMaxConnections(), 1);
    atLeast(errors, "web.buffer-events", w.getBufferEvents(), 1);
    atLeast(errors, "web.delivery-threads", w.getDeliveryThreads(), 1);
    positive(errors, "web.heartbeat", w.getHeartbeat());
    positive(errors, "web.stall-timeout", w.getStallTimeout());
    positive(errors, "web.retry-after", w.getRetryAfter());
    positive(errors, "web.reconnect-delay", w.getReconnectDelay());
    p.getRelay().forEach((name, r) -> validateRelay(errors, name, r));
  }

  /**
   * A relay's values; errors name {@code pgpubsub.relay.<name>.<property>} in their message too, because Boot's
   * report shows a map entry's field as {@code relay[<name>].<property>}. Whether the broker's library is on the
   * class path is checked when the relays are created (the application's class loader decides).
   */
  private static void validateRelay(Errors errors, String name, Relay r) {
    String field = "relay[" + name + "].";
    String prop = "pgpubsub.relay." + name + ".";
    if (!r.isEnabled()) {
      return;
    }
    if (r.getChannel() == null || r.getChannel().isBlank()) {
      errors.rejectValue(field + "channel", "pgpubsub.relay",
          prop + "channel is required: the ordered channel to relay");
    }
    if (r.getBroker() == null) {
      errors.rejectValue(field + "broker", "pgpubsub.relay",
          prop + "broker is required: kafka, rabbitmq or nats");
    } else {
      switch (r.getBroker()) {
        case KAFKA -> {
          if (r.getTopic() == null || r.getTopic().isBlank()) {
            errors.rejectValue(field + "topic", "pgpubsub.relay",
                prop + "topic is required with " + prop + "broker=kafka");
          }
        }
        case RABBITMQ -> {
          if (r.getExchange() == null) {
            errors.rejectValue(field + "exchange", "pgpubsub.relay",
                prop + "exchange is required with " + prop + "broker=rabbitmq (an empty value is the default"
                    + " exchange, which routes by queue name)");
          }
        }
        case NATS -> {
          String s = r.getSubjectPrefix();
          if (s == null || s.isEmpty() || s.endsWith(".") || s.contains("*") || s.contains(">")
              || s.chars().anyMatch(Character::isWhitespace)) {
            errors.rejectValue(field + "subject-prefix", "pgpubsub.relay",
                prop + "subject-prefix is required with " + prop + "broker=nats: a subject without wildcards or"
                    + " a trailing '.', such as orders (messages go to orders.<key>)");
          }
        }
      }
      if (r.getBroker() != Broker.KAFKA && r.getTopic() != null) {
        errors.rejectValue(field + "topic", "pgpubsub.relay", prop + "topic is for broker=kafka only");
      }
      if (r.getBroker() != Broker.RABBITMQ && (r.getExchange() != null || r.getRoutingKeyPrefix() != null)) {
        errors.rejectValue(field + (r.getExchange() != null ? "exchange" : "routing-key-prefix"), "pgpubsub.relay",
            prop + (r.getExchange() != null ? "exchange" : "routing-key-prefix") + " is for broker=rabbitmq only");
      }
      if (r.getBroker() != Broker.NATS && r.getSubjectPrefix() != null) {
        errors.rejectValue(field + "subject-prefix", "pgpubsub.relay", prop + "subject-prefix is for broker=nats only");
      }
    }
    if (r.getWorkers() != null && r.getWorkers() < 1) {
      errors.rejectValue(field + "workers", "pgpubsub.min", prop + "workers must be at least 1");
    }
    if (r.getBatchSize() != null && r.getBatchSize() < 1) {
      errors.rejectValue(field + "batch-size", "pgpubsub.min", prop + "batch-size must be at least 1");
    }
    relayPositive(errors, field, prop, "poll-interval", r.getPollInterval());
    relayPositive(errors, field, prop, "confirm-timeout", r.getConfirmTimeout());
    relayPositive(errors, field, prop, "backoff.initial", r.getBackoff().getInitial());
    relayPositive(errors, field, prop, "backoff.max", r.getBackoff().getMax());
    Duration initial = r.getBackoff().getInitial() != null ? r.getBackoff().getInitial() : Duration.ofMillis(200);
    Duration max = r.getBackoff().getMax() != null ? r.getBackoff().getMax() : Duration.ofSeconds(30);
    if (initial.compareTo(max) > 0) {
      errors.rejectValue(field + "backoff.initial", "pgpubsub.order",
          prop + "backoff.initial must not be longer than " + prop + "backoff.max (" + max + ")");
    }
  }

  private static void relayPositive(Errors errors, String field, String prop, String name, Duration value) {
    if (value != null && (value.isNegative() || value.isZero())) {
      errors.rejectValue(field + name, "pgpubsub.positive",
          prop + name + " must be a positive duration, such as 500ms or 2s");
    }
  }

  private static void atLeast(Errors errors, String field, int value, int min) {
    if (value < min) {
      errors.rejectValue(field, "pgpubsub.min", "must be at least " + min);
    }
  }

  private static void positive(Errors errors, String field, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      errors.rejectValue(field, "pgpubsub.positive", "must be a positive duration, such as 500ms or 2s");
    }
  }

  private static void notNegative(Errors errors, String field, Duration value) {
    if (value == null || value.isNegative()) {
      errors.rejectValue(field, "pgpubsub.notNegative", "must be zero or a positive duration, such as 500ms or 2s");
    }
  }

  /** The listener that runs the application's callbacks. */
  public static class Listener {

    /** Whether this instance runs a listener (false for web-only instances: writes still notify). */
    private boolean enabled = true;

    /** Name in log lines, metric tags and heartbeats. Default: spring.application.name, else listener-N. */
    private String name;

    /** Channels to serve. Default: every channel of the generated registries that has a listener method. */
    private List<String> channels = new ArrayList<>();

    /** Worker threads claiming and processing notifications (each holds one pool connection while busy). */
    private int workers = io.pgpubsub.Listener.DEFAULT_WORKERS;

    /** Notifications claimed per statement and transaction; lower it for slow callbacks. */
    private int batchSize = io.pgpubsub.Listener.DEFAULT_BATCH_SIZE;

    /** Safety-net poll when no NOTIFY arrives; the only wake-up of pgNotify = false channels. */
    private Duration pollInterval = io.pgpubsub.Listener.DEFAULT_POLL_INTERVAL;

    /** Process what was stored before the start too (false leaves it to other listeners). */
    private boolean recoverOnStart = io.pgpubsub.Listener.DEFAULT_RECOVER_ON_START;

    /** Only claim notifications whose payload contains this JSON, e.g. {"context":{"tenant":"acme"}}. */
    private String payloadFilter;

    /** How long a graceful stop lets in-flight batches finish before rolling them back. */
    private Duration gracePeriod = io.pgpubsub.Listener.DEFAULT_GRACE_PERIOD;

    /**
     * How long one notification's callbacks may run; after it the batch is rolled back, the attempt recorded as
     * failed ("timed out after ...") and the worker replaced.
     */
    private Duration callbackTimeout = io.pgpubsub.Listener.DEFAULT_CALLBACK_TIMEOUT;

    /**
     * Direct JDBC URL for the LISTEN connection when the DataSource goes through PgBouncer in transaction
     * mode. Default: a connection of the application's DataSource, held while the listener runs.
     */
    private String listenUrl;

    /** JDBC URL for a pool of the listener's own instead of the application's DataSource. */
    private String jdbcUrl;

    /** User for listen-url and jdbc-url. Default: spring.datasource.username. */
    private String user;

    /** Password for listen-url and jdbc-url. Default: spring.datasource.password. */
    private String password;

    /** Create the notification tables (idempotent DDL) when the listener starts. */
    private boolean installSchema = false;

    /**
     * How notifications travel: table (a row per change, any PostgreSQL) or wal (the write-ahead log through a
     * logical replication slot: wal_level = logical, the REPLICATION attribute; see docs/wal-transport.md).
     */
    private Transport transport = Transport.TABLE;

    /**
     * The WAL transport's replication slot, the same in every process of the application. Default:
     * pgpubsub_ followed by the schema.
     */
    private String walSlot;

    private final Retry retry = new Retry();

    private final Reconnect reconnect = new Reconnect();

    public boolean isEnabled() {
      return enabled;
    }

    public Transport getTransport() {
      return transport;
    }

    public void setTransport(Transport transport) {
      this.transport = transport;
    }

    public String getWalSlot() {
      return walSlot;
    }

    public void setWalSlot(String walSlot) {
      this.walSlot = walSlot;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getName() {
      return name;
    }

    public void setName(String name) {
      this.name = name;
    }

    public List<String> getChannels() {
      return channels;
    }

    public void setChannels(List<String> channels) {
      this.channels = channels;
    }

    public int getWorkers() {
      return workers;
    }

    public void setWorkers(int workers) {
      this.workers = workers;
    }

    public int getBatchSize() {
      return batchSize;
    }

    public void setBatchSize(int batchSize) {
      this.batchSize = batchSize;
    }

    public Duration getPollInterval() {
      return pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
    }

    public boolean isRecoverOnStart() {
      return recoverOnStart;
    }

    public void setRecoverOnStart(boolean recoverOnStart) {
      this.recoverOnStart = recoverOnStart;
    }

    public String getPayloadFilter() {
      return payloadFilter;
    }

    public void setPayloadFilter(String payloadFilter) {
      this.payloadFilter = payloadFilter;
    }

    public Duration getGracePeriod() {
      return gracePeriod;
    }

    public void setGracePeriod(Duration gracePeriod) {
      this.gracePeriod = gracePeriod;
    }

    public Duration getCallbackTimeout() {
      return callbackTimeout;
    }

    public void setCallbackTimeout(Duration callbackTimeout) {
      this.callbackTimeout = callbackTimeout;
    }

    public String getListenUrl() {
      return listenUrl;
    }

    public void setListenUrl(String listenUrl) {
      this.listenUrl = listenUrl;
    }

    public String getJdbcUrl() {
      return jdbcUrl;
    }

    public void setJdbcUrl(String jdbcUrl) {
      this.jdbcUrl = jdbcUrl;
    }

    public String getUser() {
      return user;
    }

    public void setUser(String user) {
      this.user = user;
    }

    public String getPassword() {
      return password;
    }

    public void setPassword(String password) {
      this.password = password;
    }

    public boolean isInstallSchema() {
      return installSchema;
    }

    public void setInstallSchema(boolean installSchema) {
      this.installSchema = installSchema;
    }

    public Retry getRetry() {
      return retry;
    }

    public Reconnect getReconnect() {
      return reconnect;
    }
  }

  /** Retry policy of failing callbacks: exponential back-off with jitter, then dead. */
  public static class Retry {

    /** Attempts in total before a notification is dead (1 = no retry). */
    private int maxAttempts = RetryPolicy.DEFAULT_MAX_ATTEMPTS;

    /** Delay after the first failed attempt; doubles with each further one. */
    private Duration initialDelay = RetryPolicy.DEFAULT_INITIAL_DELAY;

    /** Longest delay between two attempts. */
    private Duration maxDelay = RetryPolicy.DEFAULT_MAX_DELAY;

    public int getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public Duration getInitialDelay() {
      return initialDelay;
    }

    public void setInitialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
    }

    public Duration getMaxDelay() {
      return maxDelay;
    }

    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }
  }

  /** Back-off after a lost connection (LISTEN or worker): doubling, with jitter. */
  public static class Reconnect {

    /** First delay after a lost connection. */
    private Duration initialDelay = io.pgpubsub.Listener.DEFAULT_RECONNECT_INITIAL_DELAY;

    /** Longest delay between reconnect attempts. */
    private Duration maxDelay = io.pgpubsub.Listener.DEFAULT_RECONNECT_MAX_DELAY;

    public Duration getInitialDelay() {
      return initialDelay;
    }

    public void setInitialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
    }

    public Duration getMaxDelay() {
      return maxDelay;
    }

    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }
  }

  /** The install script as a repeatable Flyway migration. */
  public static class Flyway {

    /**
     * Register the generated install script (META-INF/pgpubsub.sql) as the repeatable Flyway migration
     * R__pgpubsub, which re-runs whenever the script changes. Only when Flyway is configured.
     */
    private boolean enabled = true;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }
  }

  /** The pgpubsub health indicator. */
  public static class Health {

    /** Report DOWN while dead notifications exist (by default they are only details). */
    private boolean downOnDeadLetters = false;

    public boolean isDownOnDeadLetters() {
      return downOnDeadLetters;
    }

    public void setDownOnDeadLetters(boolean downOnDeadLetters) {
      this.downOnDeadLetters = downOnDeadLetters;
    }
  }

  /** The operations dashboard (needs the pgpubsub-dashboard dependency and a servlet web application). */
  public static class Dashboard {

    /** Mount the operations dashboard (off by default: the page shows notification payloads). */
    private boolean enabled = false;

    /** Path the dashboard is mounted under; the page is at this path with a trailing slash. */
    private String path = "/pgpubsub";

    /** Token that unlocks retry and purge on the page; without one the dashboard is read-only. */
    private String token;

    /** Refuse retry and purge even with the token. */
    private boolean readOnly = false;

    /**
     * Token that reading needs (the page shows no data and the JSON API answers 401 without it or the write
     * token), for instances whose payloads are sensitive. Default: none.
     */
    private String readToken;

    /**
     * Host names the page may be opened by (Host and Origin headers; DNS rebinding protection), besides IP
     * addresses and localhost. When set, other hosts get 403. Default: none (the application's own host handling
     * and security apply).
     */
    private List<String> allowedHosts = new ArrayList<>();

    /**
     * A channel whose oldest pending notification waits longer than this is shown behind. Default: the
     * dashboard's, 60s.
     */
    private Duration lagThreshold;

    /**
     * How often the history of every channel is sampled from the tables, so the charts show it while no listener
     * runs. Default: the dashboard's, 10s.
     */
    private Duration historyInterval;

    /** How long history samples are kept. Default: the dashboard's, 7 days. */
    private Duration historyRetention;

    public String getReadToken() {
      return readToken;
    }

    public void setReadToken(String readToken) {
      this.readToken = readToken;
    }

    public List<String> getAllowedHosts() {
      return allowedHosts;
    }

    public void setAllowedHosts(List<String> allowedHosts) {
      this.allowedHosts = allowedHosts;
    }

    public Duration getLagThreshold() {
      return lagThreshold;
    }

    public void setLagThreshold(Duration lagThreshold) {
      this.lagThreshold = lagThreshold;
    }

    public Duration getHistoryInterval() {
      return historyInterval;
    }

    public void setHistoryInterval(Duration historyInterval) {
      this.historyInterval = historyInterval;
    }

    public Duration getHistoryRetention() {
      return historyRetention;
    }

    public void setHistoryRetention(Duration historyRetention) {
      this.historyRetention = historyRetention;
    }

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getPath() {
      return path;
    }

    public void setPath(String path) {
      this.path = path;
    }

    public String getToken() {
      return token;
    }

    public void setToken(String token) {
      this.token = token;
    }

    public boolean isReadOnly() {
      return readOnly;
    }

    public void setReadOnly(boolean readOnly) {
      this.readOnly = readOnly;
    }
  }

  /**
   * Live in the browser: the Server-Sent Events endpoint of pgpubsub-web (needs that dependency, a servlet web
   * application and at least one {@code WebChannel} bean: nothing is exposed without a declared projection).
   */
  public static class Web {

    /** Mount the event stream endpoint when the application declares WebChannel beans. */
    private boolean enabled = true;

    /** Path of the event stream endpoint: GET {path}?channel=name[&id=..][&since=position]. */
    private String path = "/pgpubsub/events";

    /** Answer 401 to requests without an authenticated user; false for public channels. */
    private boolean requireAuthentication = true;

    /** Open event streams per node; past it a request gets 503 with Retry-After. */
    private int maxConnections = 10000;

    /** Events queued per connection; when full, the connection's subscription pauses until its client has read them. */
    private int bufferEvents = 256;

    /** How often a comment line is sent on every stream, so that proxies keep idle streams open. */
    private Duration heartbeat = Duration.ofSeconds(15);

    /** A client that reads nothing of its queued events for this long is disconnected (it resumes by its last id). */
    private Duration stallTimeout = Duration.ofSeconds(30);

    /** The Retry-After of a 503 past max-connections or during shutdown. */
    private Duration retryAfter = Duration.ofSeconds(5);

    /** How long browsers' EventSource waits before it reconnects (the SSE retry field). */
    private Duration reconnectDelay = Duration.ofSeconds(2);

    /** Threads per stream that run subscribers' filters and visibility hooks. */
    private int deliveryThreads = 2;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getPath() {
      return path;
    }

    public void setPath(String path) {
      this.path = path;
    }

    public boolean isRequireAuthentication() {
      return requireAuthentication;
    }

    public void setRequireAuthentication(boolean requireAuthentication) {
      this.requireAuthentication = requireAuthentication;
    }

    public int getMaxConnections() {
      return maxConnections;
    }

    public void setMaxConnections(int maxConnections) {
      this.maxConnections = maxConnections;
    }

    public int getBufferEvents() {
      return bufferEvents;
    }

    public void setBufferEvents(int bufferEvents) {
      this.bufferEvents = bufferEvents;
    }

    public Duration getHeartbeat() {
      return heartbeat;
    }

    public void setHeartbeat(Duration heartbeat) {
      this.heartbeat = heartbeat;
    }

    public Duration getStallTimeout() {
      return stallTimeout;
    }

    public void setStallTimeout(Duration stallTimeout) {
      this.stallTimeout = stallTimeout;
    }

    public Duration getRetryAfter() {
      return retryAfter;
    }

    public void setRetryAfter(Duration retryAfter) {
      this.retryAfter = retryAfter;
    }

    public Duration getReconnectDelay() {
      return reconnectDelay;
    }

    public void setReconnectDelay(Duration reconnectDelay) {
      this.reconnectDelay = reconnectDelay;
    }

    public int getDeliveryThreads() {
      return deliveryThreads;
    }

    public void setDeliveryThreads(int deliveryThreads) {
      this.deliveryThreads = deliveryThreads;
    }
  }

  /** The broker a relay publishes to; each needs its relay module on the class path. */
  public enum Broker {
    /** io.pgpubsub:pgpubsub-relay-kafka, connected by spring.kafka.*. */
    KAFKA,
    /** io.pgpubsub:pgpubsub-relay-rabbitmq, connected by spring.rabbitmq.*. */
    RABBITMQ,
    /** io.pgpubsub:pgpubsub-relay-nats, connected by pgpubsub.nats.url. */
    NATS
  }

  /**
   * One relay ({@code pgpubsub.relay.<name>.*}): an ordered channel published to a broker. The options left
   * unset keep {@code Relay.Builder}'s defaults (workers 2, batch-size 500, poll-interval 1s, confirm-timeout
   * 60s, backoff 200ms to 30s, dead-key-policy move-on); they are not in the configuration metadata because
   * Boot does not describe the values of a map (docs/relays.md lists them).
   */
  public static class Relay {

    /** Whether this relay runs (false keeps it configured but off, e.g. on all but one instance). */
    private boolean enabled = true;

    /** The ordered channel to relay (@TriggerChannel(ordered = true) or an ordered Notifier channel). */
    private String channel;

    /** kafka, rabbitmq or nats. */
    private Broker broker;

    /** Kafka: the topic every message goes to. */
    private String topic;

    /** RabbitMQ: the exchange ("" for the default exchange, which routes by queue name). */
    private String exchange;

    /** RabbitMQ: the routing key is this prefix followed by the order key. Default: the order key alone. */
    private String routingKeyPrefix;

    /** NATS JetStream: messages go to the subject prefix.<key token>. */
    private String subjectPrefix;

    /** Worker threads (each holds one connection of the application's pool while it claims). */
    private Integer workers;

    /** Notifications (of different keys) claimed and published per batch. */
    private Integer batchSize;

    /** How often idle workers look at the table without a wake-up. */
    private Duration pollInterval;

    /** How long a batch waits for the broker's confirmations before its messages are put back. */
    private Duration confirmTimeout;

    /** What a refused (dead) message does to its key: move-on or block. */
    private DeadKeyPolicy deadKeyPolicy;

    private final Backoff backoff = new Backoff();

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getChannel() {
      return channel;
    }

    public void setChannel(String channel) {
      this.channel = channel;
    }

    public Broker getBroker() {
      return broker;
    }

    public void setBroker(Broker broker) {
      this.broker = broker;
    }

    public String getTopic() {
      return topic;
    }

    public void setTopic(String topic) {
      this.topic = topic;
    }

    public String getExchange() {
      return exchange;
    }

    public void setExchange(String exchange) {
      this.exchange = exchange;
    }

    public String getRoutingKeyPrefix() {
      return routingKeyPrefix;
    }

    public void setRoutingKeyPrefix(String routingKeyPrefix) {
      this.routingKeyPrefix = routingKeyPrefix;
    }

    public String getSubjectPrefix() {
      return subjectPrefix;
    }

    public void setSubjectPrefix(String subjectPrefix) {
      this.subjectPrefix = subjectPrefix;
    }

    public Integer getWorkers() {
      return workers;
    }

    public void setWorkers(Integer workers) {
      this.workers = workers;
    }

    public Integer getBatchSize() {
      return batchSize;
    }

    public void setBatchSize(Integer batchSize) {
      this.batchSize = batchSize;
    }

    public Duration getPollInterval() {
      return pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
    }

    public Duration getConfirmTimeout() {
      return confirmTimeout;
    }

    public void setConfirmTimeout(Duration confirmTimeout) {
      this.confirmTimeout = confirmTimeout;
    }

    public DeadKeyPolicy getDeadKeyPolicy() {
      return deadKeyPolicy;
    }

    public void setDeadKeyPolicy(DeadKeyPolicy deadKeyPolicy) {
      this.deadKeyPolicy = deadKeyPolicy;
    }

    public Backoff getBackoff() {
      return backoff;
    }
  }

  /** A relay's back-off after a failed publish: doubling from initial to max. */
  public static class Backoff {

    /** First delay. */
    private Duration initial;

    /** Longest delay. */
    private Duration max;

    public Duration getInitial() {
      return initial;
    }

    public void setInitial(Duration initial) {
      this.initial = initial;
    }

    public Duration getMax() {
      return max;
    }

    public void setMax(Duration max) {
      this.max = max;
    }
  }

  /** The NATS server of relays with broker=nats (Spring Boot has no NATS properties of its own). */
  public static class Nats {

    /** Server URL of relays with broker=nats, e.g. nats://nats:4222 (the connection then reconnects forever). */
    private String url = "nats://localhost:4222";

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }
  }
}
