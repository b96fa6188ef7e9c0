package io.pgpubsub.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code pgpubsub.*} properties. Every {@code Listener.Builder} option that is a value has a property under
 * {@code pgpubsub.listener}; the options that are objects come from the application context (the DataSource,
 * the EntityManagerFactory's row decoder and Session, the MeterRegistry, the bean factory for listener
 * instances).
 */
@ConfigurationProperties("pgpubsub")
public class PgPubSubProperties {

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
  private String schemaManagement;

  private final Listener listener = new Listener();

  private final Flyway flyway = new Flyway();

  private final Health health = new Health();

  private final Dashboard dashboard = new Dashboard();

  public String getSchema() {
    return schema;
  }

  public void setSchema(String schema) {
    this.schema = schema;
  }

  public String getSchemaManagement() {
    return schemaManagement;
  }

  public void setSchemaManagement(String schemaManagement) {
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

  /** The listener that runs the application's callbacks. */
  public static class Listener {

    /** Whether this instance runs a listener (false for web-only instances: writes still notify). */
    private boolean enabled = true;

    /** Name in log lines, metric tags and heartbeats. Default: spring.application.name, else listener-N. */
    private String name;

    /** Channels to serve. Default: every channel of the generated registries that has a listener method. */
    private List<String> channels = new ArrayList<>();

    /** Worker threads claiming and processing notifications (each holds one pool connection while busy). */
    private int workers = 2;

    /** Notifications claimed per statement and transaction; lower it for slow callbacks. */
    private int batchSize = 200;

    /** Safety-net poll when no NOTIFY arrives; the only wake-up of pgNotify = false channels. */
    private Duration pollInterval = Duration.ofSeconds(1);

    /** Process what was stored before the start too (false leaves it to other listeners). */
    private boolean recoverOnStart = true;

    /** Only claim notifications whose payload contains this JSON, e.g. {"context":{"tenant":"acme"}}. */
    private String payloadFilter;

    /** How long a graceful stop lets in-flight batches finish before rolling them back. */
    private Duration gracePeriod = Duration.ofSeconds(30);

    /**
     * How long one notification's callbacks may run; after it the batch is rolled back, the attempt recorded as
     * failed ("timed out after ...") and the worker replaced.
     */
    private Duration callbackTimeout = Duration.ofMinutes(5);

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

    private final Retry retry = new Retry();

    private final Reconnect reconnect = new Reconnect();

    public boolean isEnabled() {
      return enabled;
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
    private int maxAttempts = 5;

    /** Delay after the first failed attempt; doubles with each further one. */
    private Duration initialDelay = Duration.ofSeconds(1);

    /** Longest delay between two attempts. */
    private Duration maxDelay = Duration.ofMinutes(5);

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
    private Duration initialDelay = Duration.ofMillis(100);

    /** Longest delay between reconnect attempts. */
    private Duration maxDelay = Duration.ofSeconds(30);

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
}
