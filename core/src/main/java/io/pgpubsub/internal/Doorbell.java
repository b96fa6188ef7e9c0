package io.pgpubsub.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets writers skip {@code pg_notify} when no listener process would be woken by it: none is running, or every
 * running one is draining and bound to look at the table again before it sleeps.
 *
 * <p><b>Why.</b> PostgreSQL serializes the commits of every transaction that sent a NOTIFY, database-wide: a
 * lock taken at commit and held until the commit is on disk. With many small writer transactions that lock,
 * not the trigger's work, sets the write rate (measured: a third of the inserts per second). A NOTIFY is only
 * needed when a listener process is idle, waiting for one.
 *
 * <p><b>The protocol</b>, on two advisory locks per channel ({@link #IDLE} and {@link #CHECK}, second key
 * {@link ChannelNames#lockKey} of schema and channel, so that installations in other schemas never meet):
 *
 * <ul>
 *   <li>A listener process that is <em>idle</em> (present, its workers asleep) holds the channel's IDLE lock in
 *       shared mode, on a dedicated connection. Any number of processes can.
 *   <li>The generated trigger first tries CHECK in shared mode for the rest of its transaction. Failing that
 *       (a listener is checking, below), it notifies. Otherwise it tries IDLE in exclusive mode (and releases
 *       it at once): if it gets it, no process is idle (none is running, or all are draining), and it skips
 *       the NOTIFY, still holding CHECK until its transaction ends; if not, it notifies.
 *   <li>When a worker's claim finds rows, the process releases IDLE (it is <em>awake</em>).
 *   <li>Before its workers sleep, and when it starts (after LISTEN, before its first scan), the process takes
 *       IDLE in shared mode (from then on writers notify), then takes and releases CHECK in exclusive mode: that
 *       waits until every transaction that skipped its NOTIFY has ended (locks are released after the commit
 *       is visible), and while it waits, writers cannot get CHECK, so they notify rather than queue. A worker
 *       then drains once more (at start: the first scan), which sees their rows.
 * </ul>
 *
 * A writer that skipped its NOTIFY took IDLE exclusively, so before any listener now present became idle, and
 * it held CHECK from before that: every process took IDLE after it, so waits for it on CHECK and looks at the
 * table afterwards. A process that is not running when the writer commits finds the row in its start-up scan.
 * Two installations whose lock keys collide only send NOTIFYs that were not needed, never skip one.
 *
 * <p><b>Failures.</b> The doorbell connection has a network timeout and TCP keep-alive and is checked with
 * {@code isValid} every {@value #HEALTH_CHECK_MILLIS} ms while idle. When it fails, the server releases its
 * locks: the process looks absent and writers skip; the LISTEN thread reconnects it within a second, takes IDLE,
 * waits on CHECK and wakes the workers for a full scan. A wait on CHECK that times out (a writer transaction
 * open longer than the poll interval, at most 1 s) is retried: every second a worker is woken and goes through
 * the cycle again until the wait succeeds. On a graceful stop the process sends one NOTIFY per channel after
 * its workers have finished or rolled back their batches, so that other processes pick up whatever it leaves.
 *
 * <p><b>Hung callbacks.</b> A process whose worker hangs in a callback does not hold IDLE, so it keeps no other
 * process from being woken: every idle process still gets its NOTIFYs, and awake ones look again before they
 * sleep. Within the process, the last worker to finish normally goes idle only when no other worker is still
 * draining; a worker that has not claimed a batch for {@value #STALL_MILLIS} ms does not count (it is in a
 * long or hung callback), so the others go idle, get NOTIFYs and keep their normal latency. A worker that
 * the engine abandons is removed with {@link #abandon}.
 */
final class Doorbell {

  /** First key of the "idle" lock: 'pgs3'. The generated triggers use the same numbers. */
  static final int IDLE = ChannelNames.IDLE_LOCK;
  /** First key of the "check" lock: 'pgs4'. */
  static final int CHECK = ChannelNames.CHECK_LOCK;
  /** A draining worker that has not claimed for this long does not keep its process awake. */
  static final long STALL_MILLIS = 500;
  /** An idle doorbell connection is checked this often. */
  static final long HEALTH_CHECK_MILLIS = 5_000;
  /** Socket timeout of the doorbell connection: far above its longest wait (the lock timeout, at most 1 s). */
  static final int NETWORK_TIMEOUT_MILLIS = 30_000;

  private final Engine engine;
  private final String schema;
  private final List<String> channels;
  private final Integer[] keys;
  private final String[] notifyNames;
  /** False for a listener with a payload filter: it stays idle, so writers always wake it. */
  private final boolean skipping;
  /** Guards the connection and changes of {@link #idle}; enter() never waits for it. */
  private final ReentrantLock lock = new ReentrantLock();
  private Connection connection;
  private int networkTimeoutBefore = -1;
  /** IDLE is held on {@link #connection}. */
  private volatile boolean idle;
  /** Channels whose CHECK wait timed out: a worker is woken every second to try again. */
  private volatile Set<String> unchecked = Set.of();
  /** Workers between enter() and leave(), by identity. Guarded by {@code this}. */
  private final Set<Worker> active = Collections.newSetFromMap(new IdentityHashMap<>());
  /** A release of IDLE is queued on {@link #releaser}. Guarded by {@code this}. */
  private boolean releasing;
  /** The doorbell's thread, which releases IDLE for entering workers; null until start() and after close(). */
  private volatile ExecutorService releaser;
  private long lastUsed;
  private boolean started;
  private long nextMaintenance;

  /**
   * @param channels the lockable channels that send NOTIFYs (broadcast events always travel in one)
   * @param skipping false when this process processes only some rows of its channels (a payload filter)
   */
  Doorbell(Engine engine, String schema, List<String> channels, boolean skipping) {
    this.engine = engine;
    this.schema = schema;
    this.channels = List.copyOf(channels);
    this.skipping = skipping;
    this.nextMaintenance = System.nanoTime();
    this.keys = new Integer[this.channels.size()];
    this.notifyNames = new String[this.channels.size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = ChannelNames.lockKey(schema, this.channels.get(i));
      notifyNames[i] = ChannelNames.notifyName(schema, this.channels.get(i));
    }
  }

  /**
   * At start, after LISTEN and before the workers' first scan: this process is present and idle, and the
   * writers that skipped their NOTIFY before have ended (so the first scan sees their rows).
   */
  void start() throws SQLException {
    if (channels.isEmpty()) {
      return;
    }
    releaser =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "pgpubsub-doorbell-" + engine.name);
              t.setDaemon(true);
              return t;
            });
    lock.lock();
    try {
      started = true;
      becomeIdle();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A worker starts draining: from now on the process does not go idle before it leaves. IDLE is released only
   * once a claim found rows ({@link #claimed}).
   */
  void enter(Worker w) {
    w.lastClaimNanos = System.nanoTime();
    synchronized (this) {
      active.add(w);
    }
  }

  /**
   * A draining worker's claim found rows: IDLE is released, so that writers skip their NOTIFY from now on. The
   * release is a round trip on the doorbell connection; it runs on the doorbell's own thread, after the claim
   * (started at once, on a 2-core machine the thread and its backend took about 0.2 ms from the worker's
   * first claim, which is where a wake-up's latency is made). Until it is done, writers keep sending NOTIFYs,
   * which wake nobody new. A wake-up whose claim finds nothing (another worker or process took the rows)
   * releases nothing: the process stays idle. If every worker has left before the release runs, it does not
   * run either.
   */
  void claimed() {
    if (!idle) {
      return; // the common case while draining: already awake (a volatile read, no lock)
    }
    ExecutorService r = releaser; // read once: close() clears it
    synchronized (this) {
      if (!skipping || !idle || releasing || r == null || active.isEmpty()) {
        return; // not idle, or a release is already on its way, or closed
      }
      releasing = true;
    }
    try {
      r.execute(this::releaseIdle);
    } catch (RejectedExecutionException e) {
      // closed meanwhile: the process is stopping and stays idle until its connection closes
    }
  }

  /** On the doorbell thread: releases IDLE if a worker is still draining and the process is still idle. */
  private void releaseIdle() {
    lock.lock();
    try {
      synchronized (this) {
        releasing = false;
        if (!idle || active.isEmpty() || engine.stopping()) {
          return; // nobody drains any more (they stayed in an idle process), or already awake, or stopping
        }
        idle = false; // before the release: a failure leaves writers skipping, and a later leave() fixes that
      }
      try (PreparedStatement ps =
          connection.prepareStatement("SELECT pg_advisory_unlock_shared(?, k) FROM unnest(?::int[]) AS k")) {
        ps.setInt(1, IDLE);
        ps.setArray(2, connection.createArrayOf("int4", keys));
        ps.executeQuery().close();
      }
      lastUsed = System.nanoTime();
    } catch (SQLException | RuntimeException e) {
      fail(e instanceof SQLException sql ? sql : new SQLException(e));
    } finally {
      lock.unlock();
    }
  }

  /**
   * A worker finished draining. When no other worker is still draining (or the others have stalled), takes
   * IDLE and waits for the writers that skipped their NOTIFY.
   *
   * @return true when the caller must drain once more (the rows of those writers are visible now)
   */
  boolean leave(Worker w) {
    synchronized (this) {
      if (!active.remove(w) || !mayGoIdle()) {
        return false;
      }
    }
    lock.lock();
    try {
      synchronized (this) {
        if (!mayGoIdle()) {
          return false; // another worker started meanwhile, or stop, or idle already
        }
      }
      becomeIdle();
      return true;
    } catch (SQLException e) {
      fail(e);
      return true; // look once more anyway; the LISTEN thread reconnects and wakes the workers again
    } finally {
      lock.unlock();
    }
  }

  /**
   * The engine gave up on a worker (a hung callback) and replaced it: it no longer keeps this process awake.
   * If that makes the process idle, the other workers are woken for the last look.
   */
  void abandon(Worker w) {
    if (leave(w)) {
      engine.waiter.wakeAll();
    }
  }

  /** Called with {@code this} locked: whether a worker that leaves takes IDLE. */
  private boolean mayGoIdle() {
    if (idle || !skipping || channels.isEmpty() || engine.stopping()) {
      return false;
    }
    long now = System.nanoTime();
    for (Worker other : active) {
      if (now - other.lastClaimNanos < TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS)) {
        return false; // still draining: it will go idle when it is done
      }
    }
    return true;
  }

  /**
   * Takes IDLE (shared) for every channel, then waits on CHECK for the writers that skipped their NOTIFY.
   * Call with {@link #lock} held.
   */
  private void becomeIdle() throws SQLException {
    Connection c = connection();
    long timeout = lockTimeoutMillis();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT set_config('lock_timeout', ?, true), pg_advisory_lock_shared(?, k) FROM unnest(?::int[]) AS k")) {
      ps.setString(1, Long.toString(timeout));
      ps.setInt(2, IDLE);
      ps.setArray(3, c.createArrayOf("int4", keys));
      ps.executeQuery().close();
    }
    idle = true;
    Set<String> timedOut = new LinkedHashSet<>();
    try (PreparedStatement check =
        c.prepareStatement(
            "SELECT set_config('lock_timeout', ?, true), pg_advisory_lock(?, ?), pg_advisory_unlock(?, ?)")) {
      for (int i = 0; i < keys.length; i++) {
        check.setString(1, Long.toString(timeout));
        check.setInt(2, CHECK);
        check.setInt(3, keys[i]);
        check.setInt(4, CHECK);
        check.setInt(5, keys[i]);
        try {
          check.executeQuery().close();
        } catch (SQLException e) {
          if (!"55P03".equals(e.getSQLState())) {
            throw e;
          }
          timedOut.add(channels.get(i));
          Engine.log.debug(
              "[{}] a writer on '{}' that skipped its NOTIFY is still open after {} ms; looking again in a second",
              engine.name,
              channels.get(i),
              timeout);
        }
      }
    }
    unchecked = timedOut.isEmpty() ? Set.of() : Collections.unmodifiableSet(timedOut);
    lastUsed = System.nanoTime();
  }

  /**
   * From the LISTEN thread, between reads (at least every {@value Engine#LISTEN_READ_MILLIS} ms):
   * re-establishes a lost doorbell connection (then wakes the workers for a full scan), goes idle when every
   * draining worker has stalled, checks an idle connection's health, and wakes a worker every second while a
   * CHECK wait has timed out.
   */
  void maintain() {
    if (channels.isEmpty()) {
      return;
    }
    long now = System.nanoTime();
    if (!lock.tryLock()) {
      return; // a worker is going idle, or entering: nothing to do now
    }
    try {
      if (engine.stopping()) {
        return;
      }
      if (connection == null) {
        // lost: writers see this process as absent and skip. Present again (writers notify), and look at what they
        // skipped meanwhile. Workers still draining go on; they find the process idle when they leave.
        becomeIdle();
        Engine.log.info("[{}] doorbell connection re-established; re-scanning the table", engine.name);
        engine.waiter.wakeAll();
        return;
      }
      boolean stalled;
      synchronized (this) {
        stalled = mayGoIdle();
      }
      if (stalled) {
        // every draining worker is stuck in a callback: go idle, so that writers wake the other workers (here and
        // elsewhere), and let them look at what was written meanwhile
        Engine.log.debug("[{}] no worker claimed for {} ms; idle again so that writers wake the others", engine.name, STALL_MILLIS);
        becomeIdle();
        engine.waiter.wakeAll();
        return;
      }
      if (idle && now - lastUsed > TimeUnit.MILLISECONDS.toNanos(HEALTH_CHECK_MILLIS)) {
        if (!connection.isValid(2)) {
          throw new SQLException("the doorbell connection did not answer a health check", "08006");
        }
        lastUsed = now;
      }
      if (!unchecked.isEmpty() && now - nextMaintenance >= 0) {
        nextMaintenance = now + TimeUnit.SECONDS.toNanos(1);
        engine.waiter.wake(); // its cycle waits on CHECK again
      }
    } catch (SQLException e) {
      fail(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * On stop, after the workers finished or rolled back their batches: one NOTIFY per channel, so that other
   * processes pick up whatever this one leaves (rows it released, rows whose writers skipped their NOTIFY
   * while it was awake), then closes the connection, which releases every lock it holds.
   */
  void close(List<Integer> abortedBackends) {
    ExecutorService r = releaser;
    releaser = null;
    if (r != null) {
      r.shutdownNow(); // a queued release does nothing once stopping
    }
    lock.lock();
    try {
      if (started) {
        try {
          Connection c = connection();
          awaitGone(c, abortedBackends);
          try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(n, '') FROM unnest(?::text[]) AS n")) {
            ps.setArray(1, c.createArrayOf("text", notifyNames));
            ps.executeQuery().close();
          }
        } catch (SQLException | RuntimeException e) {
          Engine.log.warn(
              "[{}] could not wake the other listeners on stop ({}); they find what this one left when they poll",
              engine.name,
              e.toString());
        }
      }
      drop(false);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits (at most 5 s) until the server has ended the backends of worker connections aborted at stop: only then
   * are their batches rolled back and their rows claimable by the processes the NOTIFY wakes.
   */
  private static void awaitGone(Connection c, List<Integer> backends) throws SQLException {
    if (backends.isEmpty()) {
      return;
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    try (PreparedStatement ps =
        c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(?::int[])")) {
      ps.setArray(1, c.createArrayOf("int4", backends.toArray()));
      while (System.nanoTime() - deadline < 0) {
        try (var rs = ps.executeQuery()) {
          rs.next();
          if (rs.getLong(1) == 0) {
            return;
          }
        }
        java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    }
  }

  /** The notify names of the channels, for tests. */
  List<String> notifyNames() {
    return List.of(notifyNames);
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = engine.openListenConnection(); // direct (listenUrl), autocommit: session locks need both
      try {
        networkTimeoutBefore = c.getNetworkTimeout();
        c.setNetworkTimeout(Runnable::run, NETWORK_TIMEOUT_MILLIS); // a dead peer never blocks a worker for long
      } catch (SQLException | RuntimeException e) {
        Engine.closeQuietly(c);
        throw e;
      }
      connection = c;
      lastUsed = System.nanoTime();
    }
    return connection;
  }

  /**
   * How long a wait for a lock may take: the poll interval, at most 1 s (the worker does nothing else
   * meanwhile). A writer transaction open longer than that is waited for again a second later.
   */
  private long lockTimeoutMillis() {
    return Math.max(1, Math.min(1_000, engine.config.pollInterval().toMillis()));
  }

  private void fail(SQLException e) {
    Engine.log.warn(
        "[{}] doorbell connection failed ({}); writers may skip their NOTIFY until it is back (within a second),"
            + " then the table is re-scanned",
        engine.name,
        e.toString());
    drop(true);
  }

  /**
   * Forgets the connection: releases its locks and restores its network timeout (it may go back to the
   * application's pool), and closes it. Call with {@link #lock} held.
   */
  private void drop(boolean broken) {
    idle = false;
    Connection c = connection;
    connection = null;
    if (c == null) {
      return;
    }
    if (broken) {
      engine.abort(c);
      return;
    }
    try (var s = c.createStatement()) {
      s.execute("SELECT pg_advisory_unlock_all()"); // a pooled connection must not keep them
      if (networkTimeoutBefore >= 0) {
        c.setNetworkTimeout(Runnable::run, networkTimeoutBefore);
      }
    } catch (SQLException | RuntimeException e) {
      engine.abort(c);
      return;
    }
    Engine.closeQuietly(c);
  }

  @Override
  public String toString() {
    return "Doorbell[" + schema + ", " + new ArrayList<>(channels) + (idle ? ", idle]" : "]");
  }
}
