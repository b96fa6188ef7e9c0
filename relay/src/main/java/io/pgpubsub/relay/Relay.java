package io.pgpubsub.relay;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.internal.SchemaNames;
import io.pgpubsub.internal.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays one ordered channel to a broker: claims the channel's notifications, publishes them through a {@link
 * RelayPublisher}, waits for the broker's confirmation and only then removes them, in the claim's transaction.
 *
 * <pre>{@code
 * try (Relay relay = Relay.builder()
 *     .dataSource(dataSource)
 *     .channel("purchase")                 // an ordered channel (@TriggerChannel(ordered = true))
 *     .publisher(KafkaRelayPublisher.builder().bootstrapServers("kafka:9092").topic("purchases").build())
 *     .build()
 *     .start()) {
 *   ... // until the application stops
 * }
 * }</pre>
 *
 * <p><b>Per-key order, and why a batch may be published all at once.</b> A claim takes only the <em>head</em> of
 * each key: the key's oldest notification, and only when no other transaction holds it (the claim of ordered
 * channels, {@code Sql.orderedClaimDelete}, with its argument in docs/ordered-channels.md). A key's next
 * notification can be claimed only after the transaction that removed its head has committed. This relay
 * commits that removal only after the broker confirmed the head. So at any moment, across all workers and all
 * relay processes, at most one message of a key is on its way to the broker, and a key's message is sent only
 * after every older message of that key was confirmed. The messages of one batch therefore all have different
 * keys, and nothing orders them against each other: they are published together, asynchronously, and the relay
 * waits once for all confirmations (one broker round trip per batch, not per message). The broker then holds a
 * key's messages in commit order whatever partition, queue or connection they take, and without relying on the
 * client's own ordering guarantees (Kafka's idempotent producer, one AMQP channel) except for re-sends.
 *
 * <p><b>Re-sends.</b> A message whose confirmation did not come (broker down, timeout, connection lost, relay
 * killed) stays in PostgreSQL and is sent again later, with the same id ({@link RelayMessage#ID}), before any
 * newer message of its key. A consumer may therefore see a message twice, never a gap and never a newer message
 * of the key before an older one's first copy; it drops a copy whose id it has seen. The Kafka publisher's own
 * delivery timeout is shorter than {@link Builder#confirmTimeout}, so that a send given up by the relay is also
 * given up by the client; JetStream drops re-sends within its duplicate window (Nats-Msg-Id).
 *
 * <p><b>Failures.</b> A transient failure (anything but {@link RelayRefusedException}) puts the notification
 * back unchanged but for its error and a next attempt after a back-off (its attempt count does not grow: a broker
 * that is down never makes messages dead); other keys keep flowing, and a worker whose whole batch failed backs
 * off before it claims again. A refused message goes dead with the broker's error ({@link
 * io.pgpubsub.DeadLetters}); with {@link DeadKeyPolicy#MOVE_ON} its key moves on, with {@link DeadKeyPolicy#BLOCK}
 * it waits for an operator.
 */
public final class Relay implements AutoCloseable {

  static final Logger log = LoggerFactory.getLogger(Relay.class);

  /** The default of {@link Builder#workers(int)}. */
  public static final int DEFAULT_WORKERS = 2;
  /** The default of {@link Builder#batchSize(int)}. */
  public static final int DEFAULT_BATCH_SIZE = 500;
  /** The default of {@link Builder#pollInterval(Duration)}. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
  /** The default of {@link Builder#confirmTimeout(Duration)}. */
  public static final Duration DEFAULT_CONFIRM_TIMEOUT = Duration.ofSeconds(60);
  /** The default first delay of {@link Builder#backoff(Duration, Duration)}. */
  public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofMillis(200);
  /** The default longest delay of {@link Builder#backoff(Duration, Duration)}. */
  public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(30);

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  final String name;
  final String channel;
  final String schema;
  final RelayPublisher publisher;
  final int workers;
  final int batchSize;
  final Duration pollInterval;
  final Duration confirmTimeout;
  final Duration backoffInitial;
  final Duration backoffMax;
  final DeadKeyPolicy deadKeyPolicy;
  final Sql sql;
  private final DataSource givenDataSource;
  private final String jdbcUrl;
  private final String user;
  private final String password;
  private final boolean closePublisher;

  private volatile DataSource dataSource;
  private HikariDataSource ownPool;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stopping;
  private volatile boolean started;
  private final Object wake = new Object();
  private long wakeGeneration;
  private volatile Connection listenConnection;

  final AtomicLong published = new AtomicLong();
  final AtomicLong dead = new AtomicLong();
  final AtomicLong transientFailures = new AtomicLong();

  private Relay(Builder b) {
    this.channel = ChannelNames.validate(Objects.requireNonNull(b.channel, "channel"));
    this.publisher = Objects.requireNonNull(b.publisher, "publisher");
    this.schema = b.schema;
    this.sql = new Sql(schema, false);
    this.name = b.name != null ? b.name : "relay-" + INSTANCES.incrementAndGet() + "-" + channel;
    this.workers = b.workers;
    this.batchSize = b.batchSize;
    this.pollInterval = b.pollInterval;
    this.confirmTimeout = b.confirmTimeout;
    this.backoffInitial = b.backoffInitial;
    this.backoffMax = b.backoffMax;
    this.deadKeyPolicy = b.deadKeyPolicy;
    this.givenDataSource = b.dataSource;
    this.jdbcUrl = b.jdbcUrl;
    this.user = b.user;
    this.password = b.password;
    this.closePublisher = b.closePublisher;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Checks the notification table, gives keys to rows stored before the channel was ordered, starts the LISTEN
   * thread ({@code pgpubsub-relay-listen}) and the workers ({@code pgpubsub-relay-N}).
   *
   * @return this
   * @throws IllegalStateException naming the problem when the database is not usable, or when called twice
   */
  public synchronized Relay start() {
    if (started) {
      throw new IllegalStateException("relay '" + name + "' was already started");
    }
    started = true;
    if (givenDataSource != null) {
      dataSource = givenDataSource;
    } else {
      HikariConfig hc = new HikariConfig();
      hc.setJdbcUrl(jdbcUrl);
      hc.setUsername(user);
      hc.setPassword(password);
      hc.setMaximumPoolSize(workers + 1);
      hc.setPoolName(name);
      hc.setAutoCommit(true);
      ownPool = new HikariDataSource(hc);
      dataSource = ownPool;
    }
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('"
                  + sql.table.replace("'", "''")
                  + "') AND attname = 'order_key' AND NOT attisdropped")) {
        if (!rs.next()) {
          throw new IllegalStateException(
              "relay '" + name + "' of channel '" + channel + "': the notification table " + sql.table
                  + " is missing or has no order_key column; install or update it with NotificationTable.install"
                  + " (or the generated META-INF/pgpubsub.sql)");
        }
      }
      try (PreparedStatement ps = c.prepareStatement(sql.keyLegacyRows)) {
        ps.setArray(1, c.createArrayOf("text", new String[] {channel}));
        ps.executeUpdate();
      }
      if (!c.getAutoCommit()) {
        c.commit();
      }
    } catch (SQLException e) {
      closeQuietly();
      throw new IllegalStateException(
          "relay '" + name + "' of channel '" + channel + "' cannot use the database: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly();
      throw e;
    }
    Thread listen = new Thread(this::listenLoop, "pgpubsub-relay-listen-" + channel);
    listen.setDaemon(true);
    threads.add(listen);
    for (int i = 0; i < workers; i++) {
      RelayWorker w = new RelayWorker(this, i);
      Thread t = new Thread(w, "pgpubsub-relay-" + channel + "-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    log.info("[{}] relaying channel '{}' to {} ({} worker(s), batches of {})", name, channel, publisher.target(),
        workers, batchSize);
    return this;
  }

  /**
   * Stops: no new claims; batches in flight wait for their confirmations (at most {@link
   * Builder#confirmTimeout}) and commit; then connections close, and the publisher is closed when the builder
   * was told so. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (stopping) {
        return;
      }
      stopping = true;
    }
    wakeAll();
    Connection lc = listenConnection;
    if (lc != null) {
      try {
        lc.close();
      } catch (SQLException e) {
        // closing anyway
      }
    }
    long deadline = System.nanoTime() + confirmTimeout.toNanos() + TimeUnit.SECONDS.toNanos(5);
    for (Thread t : threads) {
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (t.isAlive()) {
        t.interrupt();
      }
    }
    closeQuietly();
    log.info("[{}] stopped: {} published, {} dead", name, published.get(), dead.get());
  }

  private void closeQuietly() {
    if (ownPool != null) {
      ownPool.close();
    }
    if (closePublisher) {
      try {
        publisher.close();
      } catch (Exception e) {
        log.warn("[{}] closing the publisher failed: {}", name, e.toString());
      }
    }
  }

  /** This relay's name (log lines). */
  public String name() {
    return name;
  }

  /** The relayed channel. */
  public String channel() {
    return channel;
  }

  /** Messages confirmed by the broker and removed, since start. */
  public long published() {
    return published.get();
  }

  /** Messages the broker refused, now dead, since start. */
  public long dead() {
    return dead.get();
  }

  /** Transient failures (each message put back for a later attempt counts once), since start. */
  public long transientFailures() {
    return transientFailures.get();
  }

  boolean stopping() {
    return stopping;
  }

  DataSource dataSource() {
    return dataSource;
  }

  /** Waits for a wake-up (NOTIFY) or the poll interval, whichever comes first. */
  void awaitWork(long millis) throws InterruptedException {
    synchronized (wake) {
      long seen = wakeGeneration;
      long deadline = System.currentTimeMillis() + millis;
      while (!stopping && wakeGeneration == seen) {
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return;
        }
        wake.wait(left);
      }
    }
  }

  void wakeAll() {
    synchronized (wake) {
      wakeGeneration++;
      wake.notifyAll();
    }
  }

  /**
   * LISTENs on the channel's wake-up name and wakes the workers. While it is connected it holds the channel's
   * idle lock in shared mode (see core's Doorbell): writers then always send their NOTIFY. Before it first
   * waits, it takes and releases the check lock, so that writers that skipped their NOTIFY before have ended
   * and the workers' next claim sees their rows. Losing the connection loses no work: the workers also poll.
   */
  private void listenLoop() {
    long failures = 0;
    int lockKey = ChannelNames.lockKey(schema, channel);
    String notifyName = ChannelNames.notifyName(schema, channel);
    while (!stopping) {
      try (Connection c = dataSource.getConnection()) {
        listenConnection = c;
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + SchemaNames.quote(notifyName));
          s.execute("SELECT pg_advisory_lock_shared(" + ChannelNames.IDLE_LOCK + ", " + lockKey + ")");
          s.execute("SELECT pg_advisory_lock(" + ChannelNames.CHECK_LOCK + ", " + lockKey + "), pg_advisory_unlock("
              + ChannelNames.CHECK_LOCK + ", " + lockKey + ")");
        }
        failures = 0;
        wakeAll();
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!stopping) {
          PGNotification[] n = pg.getNotifications(500);
          if (n != null && n.length > 0) {
            wakeAll();
          }
        }
        try (Statement s = c.createStatement()) {
          s.execute("UNLISTEN *; SELECT pg_advisory_unlock_all()");
        }
      } catch (Exception e) {
        if (stopping) {
          break;
        }
        failures++;
        long delay = io.pgpubsub.internal.Backoff.delayMillis(100, 5000, (int) Math.min(failures, 30));
        log.warn("[{}] LISTEN connection failed ({}), reconnecting in {} ms", name, e.toString(), delay);
        try {
          Thread.sleep(delay);
        } catch (InterruptedException ie) {
          break;
        }
      } finally {
        listenConnection = null;
      }
    }
  }

  @Override
  public String toString() {
    return "Relay[" + name + " '" + channel + "' -> " + publisher.target() + "]";
  }

  /** Configures a {@link Relay}; {@link #build()} checks the options. */
  public static final class Builder {
    private String name;
    private DataSource dataSource;
    private String jdbcUrl;
    private String user;
    private String password;
    private String schema = NotificationTable.DEFAULT_SCHEMA;
    private String channel;
    private RelayPublisher publisher;
    private boolean closePublisher = true;
    private int workers = DEFAULT_WORKERS;
    private int batchSize = DEFAULT_BATCH_SIZE;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration confirmTimeout = DEFAULT_CONFIRM_TIMEOUT;
    private Duration backoffInitial = DEFAULT_BACKOFF_INITIAL;
    private Duration backoffMax = DEFAULT_BACKOFF_MAX;
    private DeadKeyPolicy deadKeyPolicy = DeadKeyPolicy.MOVE_ON;

    private Builder() {}

    /** The name in log lines (default {@code relay-N-<channel>}). */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /**
     * The database, as a DataSource whose connections are not from a transaction pooler (one is held for
     * LISTEN). Its pool should hold at least {@code workers + 1} connections. Or use {@link #jdbcUrl}.
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = dataSource;
      return this;
    }

    /** The database, by URL: the relay opens its own pool of {@code workers + 1} connections. */
    public Builder jdbcUrl(String jdbcUrl) {
      this.jdbcUrl = jdbcUrl;
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

    /** The schema of the notification table (default {@code public}). */
    public Builder schema(String schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /**
     * The channel to relay: an ordered lockable channel ({@code @TriggerChannel(ordered = true)} or {@code
     * @Channel(ordered = true)}). No listener should serve it too: each notification is claimed once, by a
     * listener or by a relay.
     */
    public Builder channel(String channel) {
      this.channel = channel;
      return this;
    }

    /** Where the messages go (relay-kafka, relay-rabbitmq, relay-nats). */
    public Builder publisher(RelayPublisher publisher) {
      this.publisher = publisher;
      return this;
    }

    /** Whether {@link Relay#close()} closes the publisher too (default true). */
    public Builder closePublisher(boolean closePublisher) {
      this.closePublisher = closePublisher;
      return this;
    }

    /** Worker threads, each claiming and publishing its own batches (default 2). */
    public Builder workers(int workers) {
      if (workers < 1) {
        throw new IllegalArgumentException("workers must be at least 1, got " + workers);
      }
      this.workers = workers;
      return this;
    }

    /** Notifications (of different keys) claimed and published per batch (default 500). */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
      }
      this.batchSize = batchSize;
      return this;
    }

    /** How often idle workers look at the table without a wake-up (default 1 s). */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = positive(pollInterval, "pollInterval");
      return this;
    }

    /**
     * How long a batch waits for the broker's confirmations (default 60 s); an unconfirmed message is then
     * treated as a transient failure and sent again later.
     */
    public Builder confirmTimeout(Duration confirmTimeout) {
      this.confirmTimeout = positive(confirmTimeout, "confirmTimeout");
      return this;
    }

    /**
     * The back-off after transient failures: the first delay and the longest (defaults 200 ms and 30 s; each
     * delay doubles, with jitter). A message that failed waits this long before its next attempt, and a worker
     * whose whole batch failed waits before it claims again.
     */
    public Builder backoff(Duration initial, Duration max) {
      this.backoffInitial = positive(initial, "initial back-off");
      this.backoffMax = positive(max, "longest back-off");
      return this;
    }

    /**
     * Must be the channel's own {@code deadKeyPolicy} (default {@link DeadKeyPolicy#MOVE_ON}): with {@code BLOCK}
     * a key whose message went dead waits until an operator retries or purges it.
     */
    public Builder deadKeyPolicy(DeadKeyPolicy deadKeyPolicy) {
      this.deadKeyPolicy = Objects.requireNonNull(deadKeyPolicy, "deadKeyPolicy");
      return this;
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
      return d;
    }

    /**
     * @throws IllegalArgumentException when the channel, the publisher or the database is missing, or both a
     *     DataSource and a URL are given
     */
    public Relay build() {
      if (channel == null) {
        throw new IllegalArgumentException("a relay needs a channel: Relay.builder().channel(\"name\")");
      }
      if (publisher == null) {
        throw new IllegalArgumentException("relay of channel '" + channel + "' needs a publisher");
      }
      if ((dataSource == null) == (jdbcUrl == null)) {
        throw new IllegalArgumentException(
            "relay of channel '" + channel + "' needs exactly one of dataSource(...) and jdbcUrl(...)");
      }
      return new Relay(this);
    }
  }
}
