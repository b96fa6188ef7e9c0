package io.pgpubsub.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.spi.ChannelDefinition;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.jdbc.PgConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running part of a {@link io.pgpubsub.Listener}: one LISTEN thread ({@link ListenLoop}) on a dedicated
 * connection, {@code workers} worker threads ({@link Worker}) on a HikariCP pool, and the state they share.
 *
 * <p>Lifecycle: {@link #start()} validates the database side (tables, listener instances, the first LISTEN
 * connection) and fails fast with a clear error; from then on every connection loss is survived by
 * reconnecting with back-off. {@link #close()} stops claiming, lets in-flight batches finish within the
 * grace period, then interrupts the workers and aborts their connections (which rolls their batches back,
 * releasing the rows to other listeners), and closes everything. It is idempotent.
 */
public final class Engine {

  static final Logger log = LoggerFactory.getLogger("io.pgpubsub.Listener");

  /** Idle LISTEN reads last at most this long, which bounds how late a stop or a health check can be. */
  static final long LISTEN_READ_MILLIS = 500;
  /** A LISTEN connection silent for this long is checked with {@link Connection#isValid}. */
  static final long LISTEN_HEALTH_CHECK_MILLIS = 5_000;
  /** Old copies of large broadcast events are purged at most this often. */
  static final long BROADCAST_PURGE_INTERVAL_MILLIS = 10 * 60_000;

  final ListenerConfig config;
  final String name;
  final Sql sql;
  /** The listener's ordered channels, or null when it has none. */
  final Ordered ordered;

  /**
   * The channel arrays of the ordered claim ({@link Sql#orderedClaimBatch}), as {@code text[]} literals.
   *
   * @param unordered the other channels (the claim's first part)
   * @param channels the ordered channels
   * @param blocking the ordered channels whose dead notifications block their key
   */
  record Ordered(List<String> unordered, List<String> names, String channels, String blocking) {

    static Ordered of(List<ChannelDefinition> all) {
      List<String> ordered = all.stream().filter(ChannelDefinition::ordered).map(ChannelDefinition::name).toList();
      if (ordered.isEmpty()) {
        return null;
      }
      List<String> blocking =
          all.stream()
              .filter(c -> c.ordered() && c.deadKeyPolicy() == io.pgpubsub.DeadKeyPolicy.BLOCK)
              .map(ChannelDefinition::name)
              .toList();
      List<String> unordered = all.stream().filter(c -> !c.ordered()).map(ChannelDefinition::name).toList();
      return new Ordered(unordered, ordered, Worker.rotations(ordered)[0], Worker.rotations(blocking)[0]);
    }
  }
  final ObjectMapper mapper;
  final Metrics metrics;
  /** The same metrics, counted for {@link #drain}. */
  final CountingMetrics counts;
  private final AtomicLong batchTickets = new AtomicLong();
  /** Tickets of the batches running now (see {@link Drainer}). */
  private final java.util.concurrent.ConcurrentSkipListSet<Long> runningBatches =
      new java.util.concurrent.ConcurrentSkipListSet<>();
  final Waiter waiter = new Waiter();
  final Broadcasts broadcasts;
  final RecoveryProgress progress;
  final Heartbeat heartbeat;
  final Doorbell doorbell;
  /** The channels paused by {@link io.pgpubsub.ChannelControl}, left out of the claims. */
  final ChannelPauses pauses;
  private Thread pauseWatch;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean stopping;
  private final PriorityQueue<Long> retryDue = new PriorityQueue<>();
  private final AtomicLong nextBacklogCount = new AtomicLong();
  private final AtomicLong nextBroadcastPurge = new AtomicLong();

  Dispatcher dispatcher;
  DataSource pool;
  private HikariDataSource ownPool;
  /** Rows with a smaller id are left alone (recoverOnStart(false)); 0 when recovering. */
  volatile long watermark;
  private Thread listenThread;
  private ListenLoop listenLoop;
  /** The current workers; a timed-out worker is replaced in place (its thread is abandoned). */
  private final List<Worker> workers = new CopyOnWriteArrayList<>();
  private Thread watchdog;
  /**
   * With recoverOnStart(false): transactions that were in flight at start (their xids, 32 bits, as xmin shows
   * them) and the watermark they may lower, until they have all ended; null when none are pending.
   */
  private volatile PendingWriters pendingWriters;

  private record PendingWriters(long maxId, Long[] xmins, String[] xids) {}
  /** Backends of worker connections aborted at stop: their batches roll back when the server ends them. */
  private final List<Integer> abortedBackends = new CopyOnWriteArrayList<>();

  public Engine(ListenerConfig config) {
    this.config = config;
    this.name = config.name();
    this.sql = new Sql(config.schema(), config.payloadFilter() != null);
    this.ordered = Ordered.of(config.channels());
    this.mapper = config.objectMapper() != null ? config.objectMapper() : Json.newMapper();
    this.counts = new CountingMetrics(
        Metrics.create(config.meterRegistry(), name, config.channelNames(), ordered == null ? List.of() : ordered.names()));
    this.metrics = counts;
    this.broadcasts = new Broadcasts(this);
    this.progress = new RecoveryProgress(name);
    this.heartbeat =
        new Heartbeat(
            name,
            config.schema(),
            config.channelNames(),
            config.workers(),
            () -> (int) workers.stream().filter(w -> w.running() != null && !w.abandoned()).count());
    // a listener with a payload filter processes only some of a channel's rows: it stays idle, so that writers
    // always wake the listeners of the other rows
    this.doorbell =
        new Doorbell(
            this,
            config.schema(),
            config.channels().stream()
                .filter(ch -> ch.lockable() && ch.pgNotify())
                .map(ChannelDefinition::name)
                .toList(),
            config.payloadFilter() == null);
    this.pauses = new ChannelPauses(this);
  }

  public String name() {
    return name;
  }

  public DataSource pool() {
    return pool;
  }

  public boolean running() {
    return started.get() && !stopping;
  }

  /** True while running with its LISTEN connection up. */
  public boolean listening() {
    ListenLoop loop = listenLoop;
    return running() && loop != null && loop.connected();
  }

  /** The channels of this listener found paused at the last look ({@link ChannelPauses}). */
  public java.util.Set<String> pausedChannels() {
    return pauses.claimable().paused();
  }

  boolean stopping() {
    return stopping;
  }

  /** A worker is about to claim a batch; give the ticket back with {@link #batchFinished} after counting it. */
  long batchStarted() {
    long ticket = batchTickets.incrementAndGet();
    runningBatches.add(ticket);
    return ticket;
  }

  void batchFinished(long ticket) {
    runningBatches.remove(ticket);
  }

  long batchTickets() {
    return batchTickets.get();
  }

  /** True when every batch that started with a ticket up to {@code ticket} has finished (and been counted). */
  boolean batchesFinishedUpTo(long ticket) {
    return runningBatches.floor(ticket) == null;
  }

  /** See {@link io.pgpubsub.Listener#drain(java.time.Duration)}. */
  public io.pgpubsub.DrainResult drain(java.time.Duration timeout, boolean untilIdle) {
    return new Drainer(this).drain(timeout, untilIdle);
  }

  /** Starts everything, or throws (and leaves nothing running) when the configuration or database is wrong. */
  public void start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("listener '" + name + "' was already started");
    }
    Connection listen = null;
    try {
      pool = openPool();
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(true);
        if (config.installSchema()) {
          NotificationTable.install(c, config.schema());
        }
        checkTables(c);
        if (ordered != null) {
          try (PreparedStatement ps = c.prepareStatement(sql.keyLegacyRows)) {
            ps.setObject(1, ordered.channels(), java.sql.Types.OTHER);
            int n = ps.executeUpdate();
            if (n > 0) {
              log.info("[{}] {} notification(s) of ordered channels had no key (stored before the channel was"
                  + " ordered): they now share the key '' and run one at a time, oldest first", name, n);
            }
          }
        }
        heartbeat.start(c);
        pauses.start(c);
        if (config.recoverOnStart()) {
          watermark = 0;
          progress.begin(countBacklog(c));
        } else {
          try (Statement s = c.createStatement();
              ResultSet rs = s.executeQuery(sql.maxIdAndWriters)) {
            rs.next();
            watermark = rs.getLong(1);
            Long[] xmins = (Long[]) rs.getArray(2).getArray();
            String[] xids = (String[]) rs.getArray(3).getArray();
            if (xids.length > 0) {
              pendingWriters = new PendingWriters(watermark, xmins, xids);
            }
          }
          log.info("[{}] recoverOnStart is off: notifications stored before id {} are left to other listeners", name, watermark + 1);
        }
      }
      dispatcher =
          new Dispatcher(
              config.channels(),
              config.listenerFactory(),
              mapper,
              config.rowDecoder(),
              config.transactionResources(),
              metrics);
      for (String channel : config.channelNames()) {
        Dispatcher.ChannelRuntime runtime = dispatcher.channel(channel);
        if (runtime != null) {
          runtime.counter = heartbeat.counter(channel);
        }
      }
      listen = openListenConnection();
      listenLoop = new ListenLoop(this, listen);
      listenLoop.listen(listen); // fail fast: LISTEN works before we report success
      doorbell.start(); // present (after LISTEN, before the first scan): writers wake this process from now on
    } catch (SQLException | RuntimeException e) {
      closeQuietly(listen);
      shutdownResources();
      stopping = true;
      closed.set(true); // nothing runs: close() has nothing to do
      throw new IllegalStateException(
          "listener '" + name + "' could not start: " + e.getMessage(), e);
    }
    listenThread = new Thread(listenLoop, "pgpubsub-listener");
    listenThread.setDaemon(true);
    listenThread.start();
    for (int i = 1; i <= config.workers(); i++) {
      Worker w = newWorker(i);
      workers.add(w);
      w.thread.start();
    }
    watchdog = new Thread(this::watch, "pgpubsub-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    pauseWatch = new Thread(pauses, "pgpubsub-pause-watch");
    pauseWatch.setDaemon(true);
    pauseWatch.start();
    for (ChannelDefinition ch : config.channels()) {
      if (!ch.pgNotify()) {
        if (config.pollInterval().compareTo(java.time.Duration.ofSeconds(1)) >= 0) {
          log.warn(
              "[{}] channel '{}' sends no NOTIFY (pgNotify = false): its rows wait up to the poll interval, {}, for"
                  + " a worker; set pollInterval(...) to the delay you accept",
              name,
              ch.name(),
              config.pollInterval());
        } else {
          log.info("[{}] channel '{}' sends no NOTIFY (pgNotify = false): polled every {}", name, ch.name(), config.pollInterval());
        }
      }
    }
    log.info(
        "[{}] listening on {} with {} worker(s), batch size {}, poll interval {}",
        name,
        config.channelNames(),
        config.workers(),
        config.batchSize(),
        config.pollInterval());
  }

  private DataSource openPool() {
    if (config.dataSource() instanceof HikariDataSource) {
      return config.dataSource(); // already a HikariCP pool: use it as it is, and do not close it
    }
    HikariConfig h = new HikariConfig();
    h.setPoolName("pgpubsub-" + name);
    if (config.dataSource() != null) {
      h.setDataSource(config.dataSource());
    } else {
      h.setJdbcUrl(config.jdbcUrl());
      if (config.user() != null) {
        h.setUsername(config.user());
      }
      if (config.password() != null) {
        h.setPassword(config.password());
      }
      if (!config.jdbcUrl().contains("ApplicationName=")) {
        h.addDataSourceProperty("ApplicationName", "pgpubsub-worker");
      }
      if (!config.jdbcUrl().contains("tcpKeepAlive=")) {
        h.addDataSourceProperty("tcpKeepAlive", "true"); // a silently dropped connection is noticed eventually
      }
    }
    h.setMaximumPoolSize(config.workers() + 1);
    h.setAutoCommit(false);
    h.setConnectionTimeout(10_000);
    ownPool = new HikariDataSource(h);
    return ownPool;
  }

  private void checkTables(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SELECT 1 FROM " + sql.table + " LIMIT 0");
      if (ordered != null) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass('"
                    + sql.table.replace("'", "''")
                    + "') AND attname = 'order_key' AND attnum > 0 AND NOT attisdropped")) {
          rs.next();
          if (rs.getLong(1) == 0) {
            throw new IllegalStateException(
                "the notification table "
                    + sql.table
                    + " has no column order_key, which ordered channels "
                    + ordered.names()
                    + " need: it was created by an older version; apply NotificationTable.ddl(...) again (idempotent),"
                    + " or use the builder option installSchema(true)");
          }
        }
      }
      if (config.channels().stream().anyMatch(ch -> !ch.lockable())) {
        s.execute("SELECT 1 FROM " + sql.broadcastTable + " LIMIT 0");
      }
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        throw new IllegalStateException(
            "the notification table "
                + sql.table
                + " (or "
                + sql.broadcastTable
                + ") does not exist; install it with NotificationTable.install(connection, \""
                + SchemaNames.printable(config.schema()).replace("\\", "\\\\").replace("\"", "\\\"")
                + "\"), Schema.apply(...), or the builder option installSchema(true)",
            e);
      }
      throw e;
    }
  }

  /** Ready notifications per channel; reports them to the backlog gauges. */
  long countBacklog(Connection c) throws SQLException {
    long total = 0;
    try (PreparedStatement ps = c.prepareStatement(sql.backlog)) {
      ps.setArray(1, c.createArrayOf("text", config.channelNames().toArray()));
      ps.setLong(2, watermark);
      if (config.payloadFilter() != null) {
        ps.setString(3, config.payloadFilter());
      }
      java.util.Map<String, Long> counts = new java.util.HashMap<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          counts.put(rs.getString(1), rs.getLong(2));
          total += rs.getLong(2);
        }
      }
      for (String ch : config.channelNames()) {
        metrics.channel(ch).backlog(counts.getOrDefault(ch, 0L));
      }
    }
    if (ordered != null) {
      java.util.Set<String> unseen = new java.util.HashSet<>(ordered.names());
      try (PreparedStatement ps = c.prepareStatement(Sql.orderedKeyFigures(sql.table, true))) {
        ps.setArray(1, c.createArrayOf("text", ordered.names().toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            unseen.remove(rs.getString(1));
            metrics.channel(rs.getString(1)).keys(rs.getLong(2), rs.getLong(3), rs.getLong(4));
          }
        }
      }
      for (String ch : unseen) {
        metrics.channel(ch).keys(0, 0, 0);
      }
    }
    return total;
  }

  /** Counts the backlog for the gauges every few seconds, on whichever idle worker gets here first. */
  void maybeCountBacklog(Connection c) throws SQLException {
    if (!metrics.enabled()) {
      return;
    }
    long now = System.nanoTime();
    long next = nextBacklogCount.get();
    if (now - next >= 0 && nextBacklogCount.compareAndSet(next, now + TimeUnit.SECONDS.toNanos(5))) {
      countBacklog(c);
    }
  }

  /** Deletes broadcast copies older than an hour, at most every ten minutes, when we serve broadcast channels. */
  void maybePurgeBroadcasts(Connection c) throws SQLException {
    if (!broadcasts.enabled()) {
      return;
    }
    long now = System.nanoTime();
    long next = nextBroadcastPurge.get();
    if (now - next >= 0
        && nextBroadcastPurge.compareAndSet(next, now + TimeUnit.MILLISECONDS.toNanos(BROADCAST_PURGE_INTERVAL_MILLIS))) {
      try (Statement s = c.createStatement()) {
        int n = s.executeUpdate(sql.purgeBroadcasts);
        c.commit();
        if (n > 0) {
          log.debug("[{}] purged {} broadcast copies older than 1 hour", name, n);
        }
      }
    }
  }

  Connection openListenConnection() throws SQLException {
    Connection c;
    String url = config.listenUrl() != null ? config.listenUrl() : config.jdbcUrl();
    if (url != null) {
      Properties p = new Properties();
      if (config.user() != null) {
        p.setProperty("user", config.user());
      }
      if (config.password() != null) {
        p.setProperty("password", config.password());
      }
      if (!url.contains("ApplicationName=")) {
        p.setProperty("ApplicationName", "pgpubsub-listen");
      }
      if (!url.contains("tcpKeepAlive=")) {
        p.setProperty("tcpKeepAlive", "true");
      }
      c = DriverManager.getConnection(url, p);
    } else {
      c = config.dataSource().getConnection();
    }
    try {
      c.setAutoCommit(true); // LISTEN never runs inside an open transaction
      c.unwrap(PGConnection.class);
      return c;
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  private Worker newWorker(int index) {
    Worker w = new Worker(this, index);
    Thread t = new Thread(w, "pgpubsub-worker-" + index);
    t.setDaemon(true);
    w.thread = t;
    return w;
  }

  /**
   * The id below which rows are left to other listeners (recoverOnStart(false)); 0 when recovering. While
   * writer transactions that were in flight at start are pending, looks (once per call, in {@code c}'s
   * transaction) whether they stored rows under the watermark, and lowers it below them: their rows were
   * committed after the start, so they are this listener's to process. Rows are recognized by their xmin being
   * one of the in-flight transactions' ids: a row a writer stored inside a savepoint (a subtransaction, whose id
   * the snapshot does not list) is not recognized, and stays below the watermark for other listeners.
   */
  long watermark(Connection c) throws SQLException {
    PendingWriters pending = pendingWriters;
    if (pending == null) {
      return watermark;
    }
    try (PreparedStatement ps = c.prepareStatement(sql.inFlightRows)) {
      ps.setLong(1, pending.maxId());
      ps.setArray(2, c.createArrayOf("bigint", pending.xmins()));
      ps.setArray(3, c.createArrayOf("text", pending.xids()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long min = rs.getLong(1);
        boolean lower = !rs.wasNull();
        boolean ended = rs.getBoolean(2);
        synchronized (this) {
          if (lower && min - 1 < watermark) {
            log.info(
                "[{}] a writer transaction in flight at start stored notification {}: processing from there on",
                name,
                min);
            watermark = min - 1;
          }
          if (ended && pendingWriters == pending) {
            pendingWriters = null;
          }
        }
      }
    }
    return watermark;
  }

  /** A failed notification will be due again in {@code delayMillis}: wake a worker then. */
  void retryDueIn(long delayMillis) {
    long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis);
    synchronized (retryDue) {
      if (retryDue.size() < 10_000) {
        retryDue.add(due);
      }
    }
  }

  /** How long an idle worker may wait: the poll interval, or less when a retry or broadcast is due sooner. */
  long idleWaitNanos() {
    long now = System.nanoTime();
    long wait = nanos(config.pollInterval());
    synchronized (retryDue) {
      while (!retryDue.isEmpty() && retryDue.peek() - now <= 0) {
        retryDue.poll();
        wait = 0;
      }
      if (!retryDue.isEmpty()) {
        wait = Math.min(wait, retryDue.peek() - now + TimeUnit.MILLISECONDS.toNanos(1));
      }
    }
    wait = Math.min(wait, heartbeat.nanosUntilDue(now)); // a rarely polling listener still publishes
    return Math.max(0, Math.min(wait, broadcasts.nanosUntilNextDue()));
  }

  /** {@code d} in nanoseconds, at most Long.MAX_VALUE (about 292 years) rather than an overflow. */
  static long nanos(java.time.Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /**
   * The watchdog: a worker whose current notification's callbacks have run longer than the callback timeout
   * is given up and replaced (see {@link #timeOut}). Checks a few times per timeout, at most every second.
   */
  private void watch() {
    long timeout = nanos(config.callbackTimeout());
    long period = Math.max(10, Math.min(1_000, TimeUnit.NANOSECONDS.toMillis(timeout) / 4));
    while (!sleepUnlessStopping(period)) {
      for (Worker w : workers) {
        Worker.Running r = w.running();
        if (r != null && !w.abandoned() && System.nanoTime() - r.sinceNanos() - timeout > 0 && !stopping) {
          try {
            timeOut(w, r);
          } catch (Throwable t) {
            log.error("[{}] could not replace timed-out worker {}", name, w.index, t);
          }
        }
      }
    }
  }

  /**
   * A callback ran past the callback timeout: rolls its batch back (the server process is terminated and the
   * connection aborted), records the notification's attempt as failed ("timed out after ..."), and replaces
   * the worker; the hung thread is interrupted and abandoned.
   */
  private void timeOut(Worker w, Worker.Running r) {
    ClaimedRow row = r.row();
    Thread hung = w.thread;
    CallbackTimeoutException error =
        new CallbackTimeoutException(
            "the callbacks of notification "
                + row.id()
                + " on channel '"
                + row.channel()
                + "' timed out after "
                + config.callbackTimeout()
                + " (callbackTimeout); their transaction was rolled back and "
                + hung.getName()
                + " was interrupted and replaced. Where the thread was:");
    error.setStackTrace(hung.getStackTrace());
    log.error(
        "[{}] {} ran the callbacks of notification {} on channel '{}' for longer than the callback timeout, {}:"
            + " rolling back its batch, abandoning the thread and starting a new worker",
        name,
        hung.getName(),
        row.id(),
        row.channel(),
        config.callbackTimeout());
    Worker replacement = newWorker(w.index);
    workers.set(workers.indexOf(w), replacement);
    giveUp(w, row, error, false);
    if (!stopping) {
      replacement.thread.start();
    }
  }

  /**
   * Gives up a worker whose callback hangs, and records the attempt of {@code row} as failed: terminates the
   * worker's server process (which rolls back its batch, wherever it is), then waits for the row's lock in a
   * transaction of its own (queued before the row is released, so other listeners' claims skip it), aborts the
   * worker's connection and interrupts its thread, and counts the attempt if nobody changed the row meanwhile.
   */
  void giveUp(Worker w, ClaimedRow row, Throwable error, boolean stopping) {
    w.markAbandoned(); // first: when its connection dies, the worker must not record or retry anything itself
    int pid = w.backendPid();
    Connection c = null;
    try {
      c = pool.getConnection();
      c.setAutoCommit(true);
      if (pid != 0) {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
          ps.setInt(1, pid);
          ps.executeQuery().close();
        } catch (SQLException e) {
          log.debug("[{}] could not terminate the server process of {}: {}", name, w.thread.getName(), e.toString());
        }
      }
      c.setAutoCommit(false);
      w.abandon();
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL lock_timeout = '10s'");
      }
      ClaimedRow fresh;
      try (PreparedStatement ps = c.prepareStatement(sql.lockOne)) {
        ps.setLong(1, row.id());
        try (ResultSet rs = ps.executeQuery()) {
          fresh = rs.next() ? Worker.read(rs) : null;
        }
      }
      if (fresh == null || fresh.attempts() != row.attempts()) {
        c.commit();
        return; // processed or recorded elsewhere meanwhile
      }
      Runnable after = stopping ? w.recordStopped(c, fresh, error) : w.recordFailure(c, fresh, error);
      c.commit();
      after.run();
    } catch (SQLException | RuntimeException e) {
      w.abandon();
      log.error(
          "[{}] could not record the failed attempt of notification {} on channel '{}': {}",
          name,
          row.id(),
          row.channel(),
          e.toString());
      if (c != null) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the pool evicts it
        }
      }
    } finally {
      closeQuietly(c);
    }
  }

  /** Waits {@code millis} or until stop; true when stopping. */
  boolean sleepUnlessStopping(long millis) {
    try {
      return stopped.await(millis, TimeUnit.MILLISECONDS) || stopping;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  /**
   * Graceful stop; see the class comment. Idempotent; returns when everything is closed or abandoned, except
   * when called from a callback: then it returns at once and the stop completes after that callback's batch.
   */
  public void close() {
    if (!started.get() || !closed.compareAndSet(false, true)) {
      return;
    }
    stopping = true;
    stopped.countDown();
    waiter.wakeAll();
    Thread current = Thread.currentThread();
    if (current == listenThread || workers.stream().anyMatch(w -> w.thread == current)) {
      // called from a callback: the stop cannot wait for the batch it runs in, so it finishes on its own thread
      Thread closer = new Thread(this::finishClose, "pgpubsub-close");
      closer.setDaemon(true);
      closer.start();
      return;
    }
    finishClose();
  }

  private void finishClose() {
    boolean interrupted = Thread.interrupted();
    long graceNanos = nanos(config.gracePeriod());
    long deadline = System.nanoTime() + graceNanos;
    if (listenLoop != null) {
      listenLoop.abort(); // unblocks a pending read at once
    }
    for (Worker w : workers) {
      interrupted |= join(w.thread, interrupted ? System.nanoTime() : deadline);
    }
    List<Worker> stuck = workers.stream().filter(w -> w.thread.isAlive()).toList();
    if (!stuck.isEmpty()) {
      log.warn(
          "[{}] {} worker(s) still busy after the grace period of {}: interrupting them and rolling back"
              + " their batches (the notifications stay in the table for the next listener)",
          name,
          stuck.size(),
          config.gracePeriod());
      for (Worker w : stuck) {
        int pid = w.backendPid();
        if (pid != 0) {
          abortedBackends.add(pid); // the stop's wake-up for the others waits until its batch is rolled back
        }
        Worker.Running r = w.running();
        if (r != null) {
          // the notification whose callback does not finish counts a failed attempt, so that the next listener
          // does not wait on it again and again with its attempts at 0
          CallbackTimeoutException error =
              new CallbackTimeoutException(
                  "the listener stopped while the callbacks of notification "
                      + r.row().id()
                      + " on channel '"
                      + r.row().channel()
                      + "' had run for "
                      + java.time.Duration.ofNanos(System.nanoTime() - r.sinceNanos()).truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
                      + ", longer than the grace period ("
                      + config.gracePeriod()
                      + "); their transaction was rolled back and "
                      + w.thread.getName()
                      + " interrupted. Where the thread was:");
          error.setStackTrace(w.thread.getStackTrace());
          giveUp(w, r.row(), error, true);
        } else {
          w.abandon();
        }
      }
      long more = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      for (Worker w : stuck) {
        interrupted |= join(w.thread, more);
        if (w.thread.isAlive()) {
          log.warn("[{}] {} does not stop (a callback ignores interrupts); abandoning it", name, w.thread.getName());
        }
      }
    }
    if (listenThread != null) {
      interrupted |= join(listenThread, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
    }
    if (watchdog != null) {
      interrupted |= join(watchdog, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
    }
    if (pauseWatch != null) {
      interrupted |= join(pauseWatch, System.nanoTime() + TimeUnit.SECONDS.toNanos(5));
    }
    broadcasts.dropPending();
    shutdownResources();
    log.info("[{}] stopped", name);
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void shutdownResources() {
    doorbell.close(abortedBackends); // wakes the other processes for what this one leaves
    if (pool != null) {
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(true);
        heartbeat.remove(c);
      } catch (SQLException | RuntimeException e) {
        log.debug("[{}] could not remove this listener's stats rows: {}", name, e.toString());
      }
    }
    if (ownPool != null) {
      ownPool.close();
    }
    metrics.close();
  }

  /** @return true when the calling thread was interrupted while waiting */
  private static boolean join(Thread t, long deadlineNanos) {
    boolean interrupted = false;
    while (t.isAlive()) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      } catch (InterruptedException e) {
        interrupted = true;
        break; // asked to hurry: skip the rest of the grace period
      }
    }
    return interrupted;
  }

  /**
   * Closes a connection another thread may be using right now, without waiting for its lock. A connection of a
   * HikariCP pool (the application's, as in Spring Boot, or ours) is evicted first: HikariCP then returns it
   * silently when its user closes it, where a connection that broke in use is logged as a WARN with a stack
   * trace ("marked as broken because of SQLSTATE(08003)"), on every ordinary stop (issue 22).
   */
  void abort(Connection c) {
    if (c == null) {
      return;
    }
    evictFrom(pool, c);
    if (config.dataSource() != pool) {
      evictFrom(config.dataSource(), c);
    }
    abortQuietly(c);
  }

  private void evictFrom(DataSource dataSource, Connection c) {
    try {
      if (dataSource != null && dataSource.isWrapperFor(HikariDataSource.class)) {
        dataSource.unwrap(HikariDataSource.class).evictConnection(c); // ignores connections of other pools
      }
    } catch (SQLException | RuntimeException e) {
      log.debug("[{}] could not evict a connection: {}", name, e.toString());
    }
  }

  /** Closes a connection we may be using from another thread right now: abort, never wait for its lock. */
  static void abortQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      PgConnection pg = c.unwrap(PgConnection.class);
      pg.abort(Runnable::run);
    } catch (SQLException | RuntimeException e) {
      closeQuietly(c);
    }
  }

  static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing {} failed", c, e);
      }
    }
  }
}
