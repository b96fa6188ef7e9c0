package io.pgpubsub.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgpubsub.DrainResult;
import io.pgpubsub.Schema;
import io.pgpubsub.WalStatus;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL transport's runtime. One reader thread ({@code pgpubsub-wal-reader}) becomes the leader of the slot
 * (a session advisory lock; the others wait for it and take over within about a second of its end), reads the
 * slot with pgjdbc's replication API ({@code pgoutput}, {@code messages = true}) and hands each message to the
 * worker of its partition: an ordered channel's key always goes to the same worker, so one key's changes run
 * one at a time, in commit order. A worker runs a batch of its messages in one transaction that also locks and
 * advances its partition's position (commit LSN, index in the transaction): a replayed message at or before it
 * is skipped, so database effects happen once. The slot's flushed position is confirmed only for transactions
 * whose every message has committed.
 */
public final class WalEngine {

  static final Logger log = LoggerFactory.getLogger(WalEngine.class);
  /** Advisory lock class of the slot's leader election. */
  static final int LEADER_LOCK = 1885827896;
  private static final String MARK = "pgpubsub-wal-mark";

  private final ListenerConfig config;
  private final String name;
  private final String slot;
  private final int partitions;
  private final String positionTable;
  private final Sql sql;
  private final ObjectMapper mapper;
  private final Map<String, ChannelDefinition> channels = new HashMap<>();

  private volatile boolean stopping;
  private volatile boolean running;
  private volatile boolean leader;
  private volatile String error;
  private volatile Connection leaderConnection;
  private volatile Connection replicationConnection;
  private volatile PGReplicationStream stream;
  private HikariDataSource ownPool;
  private DataSource pool;
  private Dispatcher dispatcher;
  private Thread reader;
  private final List<PartitionWorker> workers = new ArrayList<>();
  /** Incremented for each leadership: messages of an older one are dropped, the new stream replays them. */
  private volatile int generation;

  // transactions read and not yet confirmed, in commit order; guarded by this
  private final ArrayDeque<Tx> pending = new ArrayDeque<>();
  private final Set<String> marksDone = new HashSet<>();
  /** Positions stored by earlier layouts (other partition counts), for the replay skip. */
  private volatile Map<Integer, long[][]> storedLayouts = Map.of();

  private final AtomicLong processed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong dead = new AtomicLong();
  private long reportedProcessed, reportedFailed, reportedDead;

  /** A transaction read from the slot. */
  static final class Tx {
    final int generation;
    long endLsn;
    boolean committed;
    int remaining;
    String mark;
    long committedAtMicros;

    Tx(int generation) {
      this.generation = generation;
    }
  }

  public WalEngine(ListenerConfig config, String slot) {
    this.config = config;
    this.name = config.name();
    this.slot = slot;
    this.partitions = config.workers();
    this.positionTable = SchemaNames.table(config.schema(), "pgpubsub_wal_position");
    this.sql = new Sql(config.schema(), false);
    this.mapper = config.objectMapper();
    for (ChannelDefinition c : config.channels()) {
      channels.put(c.name(), c);
    }
  }

  public String slot() {
    return slot;
  }

  public synchronized void start() {
    if (running || stopping) {
      throw new IllegalStateException("listener '" + name + "' was started already");
    }
    try {
      for (ChannelDefinition c : config.channels()) {
        if (!c.trigger() || !c.lockable()) {
          throw new IllegalArgumentException(
              "channel '" + c.name() + "' is " + (c.trigger() ? "a broadcast channel (lockable = false)" : "a plain"
                  + " @Channel") + ": the WAL transport serves lockable @TriggerChannel channels only; serve it"
                  + " with a listener of the table transport");
        }
      }
      pool = openPool();
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        WalServer.check(c);
        WalServer.install(c, config.schema());
        WalServer.checkNotLost(c, config.schema(), slot);
        if (config.installSchema()) {
          // the notification table too: it keeps the WAL transport's dead letters (idempotent DDL)
          io.pgpubsub.NotificationTable.install(c, config.schema());
          try (Statement s = c.createStatement()) {
            for (ChannelDefinition ch : config.channels()) {
              s.execute(WalTriggers.rewrite(ch, Schema.triggerDdl(ch)));
            }
          }
        }
        try (PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO " + positionTable + " (slot, partitions, part) SELECT ?, ?, g FROM generate_series(0, ? - 1) g"
                    + " ON CONFLICT DO NOTHING")) {
          ps.setString(1, slot);
          ps.setInt(2, partitions);
          ps.setInt(3, partitions);
          ps.executeUpdate();
        }
        c.commit();
      }
      dispatcher =
          new Dispatcher(
              config.channels(),
              config.listenerFactory(),
              mapper,
              config.rowDecoder(),
              config.transactionResources(),
              Metrics.NO_OP);
    } catch (SQLException | RuntimeException e) {
      stopping = true;
      closePool();
      throw new IllegalStateException("listener '" + name + "' (WAL transport, slot '" + slot + "') could not start: "
          + e.getMessage(), e);
    }
    running = true;
    for (int i = 0; i < partitions; i++) {
      PartitionWorker w = new PartitionWorker(i);
      workers.add(w);
      w.thread.start();
    }
    reader = new Thread(this::readLoop, "pgpubsub-wal-reader");
    reader.setDaemon(true);
    reader.start();
    log.info("[{}] WAL transport: slot '{}', channels {}, {} worker(s)", name, slot, config.channelNames(), partitions);
  }

  private DataSource openPool() {
    if (config.dataSource() instanceof HikariDataSource) {
      return config.dataSource();
    }
    HikariConfig h = new HikariConfig();
    h.setPoolName("pgpubsub-wal-" + name);
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
      h.addDataSourceProperty("ApplicationName", "pgpubsub-wal-worker");
    }
    h.setMaximumPoolSize(partitions + 1);
    h.setAutoCommit(false);
    h.setConnectionTimeout(10_000);
    ownPool = new HikariDataSource(h);
    return ownPool;
  }

  public boolean running() {
    return running && !stopping;
  }

  /** True while this process is the slot's reader. */
  public boolean leader() {
    return leader;
  }

  public DataSource pool() {
    return pool;
  }

  public WalStatus status() {
    if (pool == null) {
      throw new IllegalStateException("listener '" + name + "' is not started");
    }
    try (Connection c = pool.getConnection()) {
      // the application's pool (a HikariDataSource is used as given) may hand out auto-commit connections
      c.setAutoCommit(false);
      try {
        return WalServer.status(c, slot, leader, error);
      } finally {
        c.rollback();
      }
    } catch (SQLException e) {
      throw new IllegalStateException("could not read the status of slot '" + slot + "': " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- the reader

  private void readLoop() {
    long backoff = config.reconnectInitialDelay().toMillis();
    while (!stopping) {
      try {
        lead();
        backoff = config.reconnectInitialDelay().toMillis();
      } catch (WalSlotLostException e) {
        error = e.getMessage();
        log.error("[{}] {}", name, e.getMessage());
        return; // an explicit stop: never go on past a gap
      } catch (Throwable t) {
        if (stopping) {
          return;
        }
        log.warn("[{}] WAL reader of slot '{}' lost its connection, reconnecting in {} ms: {}", name, slot, backoff, t.toString());
        pause(backoff);
        backoff = Math.min(backoff * 2, config.reconnectMaxDelay().toMillis());
      } finally {
        leader = false;
        closeQuietly(stream);
        stream = null;
        closeQuietly(replicationConnection);
        replicationConnection = null;
        closeQuietly(leaderConnection);
        leaderConnection = null;
      }
    }
  }

  private void lead() throws Exception {
    Connection lc = DriverManager.getConnection(url(), credentials(false));
    leaderConnection = lc;
    while (!stopping) {
      try (Statement s = lc.createStatement();
          ResultSet rs = s.executeQuery("SELECT pg_try_advisory_lock(" + LEADER_LOCK + ", hashtext('" + slot + "'))")) {
        rs.next();
        if (rs.getBoolean(1)) {
          break;
        }
      }
      pause(500);
    }
    if (stopping) {
      return;
    }
    WalServer.ensureSlot(lc, config.schema(), slot);
    loadPositions(lc);
    int gen;
    synchronized (this) {
      gen = ++generation;
      pending.clear();
      for (PartitionWorker w : workers) {
        w.queue.clear();
      }
    }
    Connection rc = DriverManager.getConnection(url(), credentials(true));
    replicationConnection = rc;
    PGReplicationStream s =
        rc.unwrap(PGConnection.class)
            .getReplicationAPI()
            .replicationStream()
            .logical()
            .withSlotName(slot)
            .withSlotOption("proto_version", "1")
            .withSlotOption("publication_names", WalServer.PUBLICATION)
            .withSlotOption("messages", "true")
            .withStatusInterval(1, TimeUnit.SECONDS)
            .start();
    stream = s;
    leader = true;
    log.info("[{}] leads slot '{}' (generation {})", name, slot, gen);
    Tx current = null;
    int seq = 0;
    long idleSince = System.nanoTime();
    while (!stopping) {
      ByteBuffer buf = s.readPending();
      if (buf == null) {
        if (System.nanoTime() - idleSince > TimeUnit.MILLISECONDS.toNanos(200)) {
          idleConfirm(s, gen);
          idleSince = System.nanoTime();
          if (!lc.isValid(2)) {
            throw new SQLException("the leader's connection is lost");
          }
        }
        LockSupport.parkNanos(500_000);
        continue;
      }
      char type = (char) buf.get();
      switch (type) {
        case 'B' -> {
          long finalLsn = buf.getLong();
          long micros = buf.getLong();
          current = new Tx(gen);
          current.endLsn = finalLsn;
          seq = 0;
          synchronized (this) {
            pending.add(current);
          }
          current.committedAtMicros = micros;
        }
        case 'M' -> {
          int flags = buf.get();
          long lsn = buf.getLong();
          String prefix = cstring(buf);
          int len = buf.getInt();
          byte[] content = new byte[len];
          buf.get(content);
          if ((flags & 1) == 0 || current == null) {
            break; // non-transactional messages are not ours
          }
          if (prefix.equals(MARK)) {
            current.mark = new String(content, StandardCharsets.UTF_8);
          } else if (prefix.startsWith(WalTriggers.PREFIX)) {
            route(current, ++seq, lsn, prefix.substring(WalTriggers.PREFIX.length()), content);
          }
        }
        case 'C' -> {
          buf.get(); // flags
          buf.getLong(); // commit lsn
          long endLsn = buf.getLong();
          if (current != null) {
            synchronized (this) {
              current.endLsn = endLsn;
              current.committed = true;
              advance();
            }
          }
          current = null;
        }
        default -> {
          // relation, type, origin, truncate and row messages: the publication has no table, nothing to do
        }
      }
      idleSince = System.nanoTime();
    }
  }

  private void route(Tx tx, int seq, long lsn, String channel, byte[] content) {
    ChannelDefinition def = channels.get(channel);
    if (def == null) {
      return; // another listener's channel: it reads its own slot
    }
    String text = new String(content, StandardCharsets.UTF_8);
    String key = null;
    String payload = text;
    if (def.ordered()) {
      String[] kp = WalMessage.splitKeyed(text);
      if (kp != null) {
        key = kp[0];
        payload = kp[1];
      } // else: a hostile message; the dispatcher dead-letters what it cannot decode
    }
    Instant at = Instant.EPOCH.plus(Duration.ofNanos(tx.committedAtMicros * 1000)).plusSeconds(946_684_800L);
    WalMessage m = new WalMessage(tx.endLsn, seq, lsn, channel, key, payload, at, tx);
    int part = partition(m);
    if (skippedBefore(m, part)) {
      return;
    }
    synchronized (this) {
      tx.remaining++;
    }
    workers.get(part).queue.add(m);
  }

  int partition(WalMessage m) {
    int h = m.key() != null ? (m.channel() + '\u0000' + m.key()).hashCode() : Long.hashCode(m.lsn() * 0x9E3779B97F4A7C15L);
    return Math.floorMod(h, partitions);
  }

  /** Applied already, as a position stored under any partition layout says. */
  private boolean skippedBefore(WalMessage m, int part) {
    for (Map.Entry<Integer, long[][]> e : storedLayouts.entrySet()) {
      int n = e.getKey();
      int p;
      if (n == partitions) {
        p = part;
      } else {
        int h = m.key() != null ? (m.channel() + '\u0000' + m.key()).hashCode() : Long.hashCode(m.lsn() * 0x9E3779B97F4A7C15L);
        p = Math.floorMod(h, n);
      }
      long[] pos = e.getValue()[p];
      if (pos != null && m.atOrBefore(pos[0], (int) pos[1])) {
        return true;
      }
    }
    return false;
  }

  private void loadPositions(Connection c) throws SQLException {
    Map<Integer, long[][]> layouts = new HashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement("SELECT partitions, part, commit_lsn, seq FROM " + positionTable + " WHERE slot = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          int n = rs.getInt(1);
          int p = rs.getInt(2);
          if (p < n) {
            layouts.computeIfAbsent(n, k -> new long[k][])[p] = new long[] {rs.getLong(3), rs.getInt(4)};
          }
        }
      }
    }
    storedLayouts = layouts;
  }

  /** Confirms every transaction at the head of the queue whose messages all committed. Holds this. */
  private void advance() {
    long confirmed = -1;
    while (!pending.isEmpty()) {
      Tx head = pending.peek();
      if (!head.committed || head.remaining > 0) {
        break;
      }
      pending.poll();
      confirmed = head.endLsn;
      if (head.mark != null) {
        marksDone.add(head.mark);
      }
    }
    PGReplicationStream s = stream;
    if (confirmed > 0 && s != null) {
      s.setFlushedLSN(LogSequenceNumber.valueOf(confirmed));
      s.setAppliedLSN(LogSequenceNumber.valueOf(confirmed));
    }
    if (!marksDone.isEmpty()) {
      notifyAll();
    }
  }

  /** With nothing pending, everything received is processed: confirm it, so the slot retains no WAL for us. */
  private void idleConfirm(PGReplicationStream s, int gen) throws SQLException {
    synchronized (this) {
      if (!pending.isEmpty() || gen != generation) {
        return;
      }
      LogSequenceNumber last = s.getLastReceiveLSN();
      if (last.asLong() > s.getLastFlushedLSN().asLong()) {
        s.setFlushedLSN(last);
        s.setAppliedLSN(last);
      }
    }
    s.forceUpdateStatus();
  }

  private synchronized void done(WalMessage m) {
    if (m.tx().generation != generation) {
      return;
    }
    m.tx().remaining--;
    advance();
  }

  // ---------------------------------------------------------------- the workers

  final class PartitionWorker implements Runnable {
    final int part;
    final BlockingQueue<WalMessage> queue = new LinkedBlockingQueue<>();
    final Thread thread;

    PartitionWorker(int part) {
      this.part = part;
      this.thread = new Thread(this, "pgpubsub-wal-worker-" + (part + 1));
      this.thread.setDaemon(true);
    }

    @Override
    public void run() {
      List<WalMessage> batch = new ArrayList<>();
      while (!stopping) {
        try {
          WalMessage first = queue.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          batch.clear();
          batch.add(first);
          queue.drainTo(batch, config.batchSize() - 1);
          int gen = generation;
          batch.removeIf(m -> m.tx().generation != gen);
          if (!batch.isEmpty()) {
            process(batch);
          }
        } catch (InterruptedException e) {
          if (stopping) {
            return;
          }
        } catch (Throwable t) {
          // the batch was not confirmed: the next leadership replays it (the reader reconnects)
          log.warn("[{}] WAL worker {} failed, its partition restarts from its stored position: {}", name, part + 1, t.toString(), t);
          dropLeadership();
          pause(config.reconnectInitialDelay().toMillis());
        }
      }
    }

    private void process(List<WalMessage> batch) throws Exception {
      try (Connection c = pool.getConnection()) {
        c.setAutoCommit(false);
        try {
          long[] pos = lockPosition(c);
          WalMessage last = null;
          for (WalMessage m : batch) {
            if (m.atOrBefore(pos[0], (int) pos[1])) {
              continue;
            }
            dispatcher.dispatch(row(m, 0), c);
            last = m;
          }
          if (last != null) {
            storePosition(c, last);
          }
          c.commit();
          processed.addAndGet(batch.size());
          for (WalMessage m : batch) {
            done(m);
          }
          return;
        } catch (Exception e) {
          rollbackQuietly(c);
          if (batch.size() == 1) {
            one(c, batch.get(0), e);
            return;
          }
        }
        for (WalMessage m : batch) {
          one(c, m, null);
        }
      }
    }

    /** One message in its own transactions, retried per the policy, then dead. */
    private void one(Connection c, WalMessage m, Exception firstFailure) throws Exception {
      int attempt = 0;
      Exception failure = firstFailure;
      while (true) {
        if (failure == null) {
          attempt++;
          try {
            long[] pos = lockPosition(c);
            if (!m.atOrBefore(pos[0], (int) pos[1])) {
              dispatcher.dispatch(row(m, attempt - 1), c);
              storePosition(c, m);
            }
            c.commit();
            processed.incrementAndGet();
            done(m);
            return;
          } catch (Exception e) {
            rollbackQuietly(c);
            failure = e;
          }
        } else if (attempt == 0) {
          attempt = 1;
        }
        failed.incrementAndGet();
        DecodeException decode = DecodeFailure.find(failure);
        if (decode != null || config.retryPolicy().exhaustedAfter(attempt)) {
          dead(c, m, attempt, decode != null ? decode : failure);
          return;
        }
        long delay = config.retryPolicy().delayMillisAfter(attempt);
        log.warn("[{}] notification {} on channel '{}' failed (attempt {} of {}), next attempt in {} ms: {}",
            name, LogSequenceNumber.valueOf(m.lsn()), m.channel(), attempt, config.retryPolicy().maxAttempts(),
            delay, String.valueOf(failure), attempt == 1 ? failure : null);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        while (!stopping && System.nanoTime() < until) {
          LockSupport.parkNanos(Math.min(until - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(50)));
        }
        if (stopping) {
          throw new InterruptedException("stopping"); // not applied, not confirmed: replayed by the next reader
        }
        failure = null;
      }
    }

    private void dead(Connection c, WalMessage m, int attempts, Throwable reason) throws SQLException {
      long[] pos = lockPosition(c);
      if (!m.atOrBefore(pos[0], (int) pos[1])) {
        try (PreparedStatement ps = c.prepareStatement(sql.insertDead)) {
          ps.setString(1, m.channel());
          ps.setString(2, jsonOrString(m.payload()));
          ps.setInt(3, attempts);
          ps.setString(4, Worker.describe(reason));
          ps.executeUpdate();
        }
        storePosition(c, m);
      }
      c.commit();
      dead.incrementAndGet();
      done(m);
      log.error("[{}] notification {} on channel '{}' failed {} time(s); stored as a dead notification for DeadLetters"
          + " (list/retry/purge)", name, LogSequenceNumber.valueOf(m.lsn()), m.channel(), attempts, reason);
    }

    private long[] lockPosition(Connection c) throws SQLException {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT commit_lsn, seq FROM " + positionTable + " WHERE slot = ? AND partitions = ? AND part = ? FOR UPDATE")) {
        ps.setString(1, slot);
        ps.setInt(2, partitions);
        ps.setInt(3, part);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("the position row of slot '" + slot + "' partition " + part + " is missing");
          }
          return new long[] {rs.getLong(1), rs.getInt(2)};
        }
      }
    }

    private void storePosition(Connection c, WalMessage m) throws SQLException {
      try (PreparedStatement ps =
          c.prepareStatement(
              "UPDATE " + positionTable + " SET commit_lsn = ?, seq = ?, updated_at = now()"
                  + " WHERE slot = ? AND partitions = ? AND part = ?")) {
        ps.setLong(1, m.commitLsn());
        ps.setInt(2, m.seq());
        ps.setString(3, slot);
        ps.setInt(4, partitions);
        ps.setInt(5, part);
        ps.executeUpdate();
      }
    }
  }

  private String jsonOrString(String payload) {
    try {
      mapper.readTree(payload);
      return payload;
    } catch (Exception e) {
      try {
        return mapper.writeValueAsString(TextNode.valueOf(payload));
      } catch (Exception ex) {
        return "null";
      }
    }
  }

  private static ClaimedRow row(WalMessage m, int attempts) {
    return new ClaimedRow(m.lsn(), m.channel(), m.payload(), attempts, m.committedAt(), m.key());
  }

  private void dropLeadership() {
    closeQuietly(replicationConnection);
  }

  // ---------------------------------------------------------------- drain and stop

  public DrainResult drain(Duration timeout) {
    if (!running()) {
      throw new IllegalStateException("listener '" + name + "' is not running");
    }
    String mark = UUID.randomUUID().toString();
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false); // as in status(): the application's pool may hand out auto-commit connections
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(true, ?, ?)")) {
        ps.setString(1, MARK);
        ps.setString(2, mark);
        ps.executeQuery().close();
      }
      c.commit();
    } catch (SQLException e) {
      throw new IllegalStateException("listener '" + name + "' could not drain: " + e.getMessage(), e);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (!marksDone.remove(mark)) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !running()) {
          throw new IllegalStateException(
              "listener '" + name + "' has not drained slot '" + slot + "' within " + timeout
                  + (leader ? "" : " (this process is not the slot's reader: another process leads it)")
                  + (error != null ? ": " + error : ""));
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while draining", e);
        }
      }
      long p = processed.get(), f = failed.get(), d = dead.get();
      DrainResult r = new DrainResult(p - reportedProcessed, f - reportedFailed, d - reportedDead);
      reportedProcessed = p;
      reportedFailed = f;
      reportedDead = d;
      return r;
    }
  }

  public void close() {
    synchronized (this) {
      if (stopping) {
        return;
      }
      stopping = true;
    }
    closeQuietly(stream);
    closeQuietly(replicationConnection);
    closeQuietly(leaderConnection);
    join(reader);
    for (PartitionWorker w : workers) {
      join(w.thread);
    }
    closePool();
    running = false;
    log.info("[{}] WAL transport stopped", name);
  }

  private void join(Thread t) {
    if (t == null || t == Thread.currentThread()) {
      return;
    }
    try {
      t.join(config.gracePeriod().toMillis());
      if (t.isAlive()) {
        log.warn("[{}] {} did not stop within the grace period; interrupting it", name, t.getName());
        t.interrupt();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closePool() {
    if (ownPool != null) {
      ownPool.close();
    }
  }

  private String url() {
    return config.listenUrl() != null ? config.listenUrl() : config.jdbcUrl();
  }

  private Properties credentials(boolean replication) {
    Properties p = new Properties();
    if (config.user() != null) {
      PGProperty.USER.set(p, config.user());
    }
    if (config.password() != null) {
      PGProperty.PASSWORD.set(p, config.password());
    }
    // the listener's name tells operators (and pg_stat_activity) which process leads the slot
    PGProperty.APPLICATION_NAME.set(p, (replication ? "pgpubsub-wal-reader " : "pgpubsub-wal-leader ") + name);
    if (replication) {
      PGProperty.REPLICATION.set(p, "database");
      PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
      PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    }
    return p;
  }

  private static String cstring(ByteBuffer b) {
    int start = b.position();
    while (b.get() != 0) {
      // up to the terminating zero
    }
    byte[] bytes = new byte[b.position() - start - 1];
    b.position(start);
    b.get(bytes);
    b.get();
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private void pause(long millis) {
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!stopping && System.nanoTime() < until) {
      LockSupport.parkNanos(Math.min(until - System.nanoTime(), TimeUnit.MILLISECONDS.toNanos(50)));
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException e) {
      // the connection is broken: the pool evicts it
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // closing
      }
    }
  }
}
