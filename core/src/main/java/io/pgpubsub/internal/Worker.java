package io.pgpubsub.internal;

import io.pgpubsub.RetryPolicy;
import io.pgpubsub.spi.DecodeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A worker thread: waits for a wake-up (NOTIFY), a due retry or the poll interval, then claims and
 * processes batches until the channels are drained.
 *
 * <p><b>Fast path.</b> One statement claims and removes a batch: {@code DELETE ... WHERE id = ANY(ARRAY(SELECT id
 * ... ORDER BY channel, id LIMIT n FOR UPDATE SKIP LOCKED)) RETURNING ...} (see {@link Sql#claimDelete}), sent in
 * one round trip with the planner settings before and after it and a savepoint ({@link Sql#claimBatch}). The
 * callbacks of every row run in that same transaction, after the savepoint, and the transaction then commits:
 * two round trips per batch (the claim, the commit), and every callback's database work commits atomically
 * with the removal of its notification.
 *
 * <p><b>Safe mode.</b> When anything in the batch fails (a callback, decoding, the resources' flush, a callback
 * that leaves the transaction failed), the batch rolls back to the savepoint: the callbacks' work is undone,
 * the claim is kept (the rows stay removed in this transaction and locked by it, so no other worker can run
 * them meanwhile). Then each notification runs under its own savepoint; each failure is rolled back to its
 * savepoint and its row put back with the attempt counted (attempts, next_attempt_at, last_error, or dead_at
 * once attempts are exhausted; undecodable payloads are dead at once), all in one transaction. The
 * notification that failed on the fast path is not run again (its failure is recorded at once), so a failing
 * callback runs once per attempt; its batch mates that had already run are invoked once more; their database
 * work still commits at most once, and external side effects are at-least-once, as documented. If the commit
 * itself fails, each notification is run in a transaction of its own.
 *
 * <p>A worker whose callback runs longer than the callback timeout is abandoned by the {@link Engine}'s
 * watchdog (its connection is closed, its thread interrupted and replaced); an abandoned worker stops as soon
 * as its thread comes back, without touching the database.
 */
final class Worker implements Runnable {

  private static final int MAX_ERROR_CHARS = 32_000;
  /**
   * Ordered channels: a claim looks for key heads among this many batches' worth of the oldest rows of each
   * ordered channel ({@link Sql#orderedWindowClaimBatch}) before it looks at every row.
   */
  static final int ORDERED_WINDOW_BATCHES = 10;

  /** The notification whose callbacks run, since when. */
  record Running(ClaimedRow row, long sinceNanos) {}

  private final Engine engine;
  final int index;
  private final int batchSize;
  private final RetryPolicy retry;
  private final List<ClaimedRow> rows;
  /** The listener's ordered channels, or null when it has none (then the claim is {@link Sql#claimBatch}). */
  private final Engine.Ordered ordered;
  /** Claims made by this worker: picks the rotation of the channels array for the next claim. */
  private long claims;
  private static final Comparator<ClaimedRow> BY_ID = Comparator.comparingLong(ClaimedRow::id);
  Thread thread;
  private volatile Connection current;
  /** When this worker last claimed (or started draining): see {@link Doorbell#STALL_MILLIS}. */
  volatile long lastClaimNanos;
  /** Guards {@link #current} for the callbacks and watches its transaction. */
  private GuardedConnection guard;
  private volatile int backendPid;
  private volatile Running running;
  /** Set by the watchdog (or a stop after the grace period): this worker's thread no longer counts. */
  private volatile boolean abandoned;
  /** Between doorbell.enter() and leave(); whoever clears it calls leave(), once. */
  private final AtomicBoolean inDoorbell = new AtomicBoolean();

  Worker(Engine engine, int index) {
    this.engine = engine;
    this.index = index;
    this.batchSize = engine.config.batchSize();
    this.retry = engine.config.retryPolicy();
    this.rows = new ArrayList<>(batchSize);
    this.ordered = engine.ordered;
  }

  /** The notification whose callbacks run right now, or null. */
  Running running() {
    return running;
  }

  int backendPid() {
    return backendPid;
  }

  boolean abandoned() {
    return abandoned;
  }

  /**
   * Gives this worker up (a callback hangs): it records nothing from now on, its connection is aborted (which
   * rolls its batch back) and the doorbell is left on its behalf.
   */
  void abandon() {
    markAbandoned();
    thread.interrupt();
    Connection c = current;
    engine.abort(c); // evicts it from the pool first, so that the pool can open another
    if (inDoorbell.compareAndSet(true, false)) {
      engine.doorbell.abandon(this); // it no longer keeps the process awake; the others look if that made it idle
    }
  }

  /** From now on this worker records nothing and stops as soon as its thread comes back. */
  void markAbandoned() {
    abandoned = true;
  }

  private boolean leaveDoorbell() {
    return inDoorbell.compareAndSet(true, false) && engine.doorbell.leave(this);
  }

  @Override
  public void run() {
    Backoff backoff =
        new Backoff(engine.config.reconnectInitialDelay(), engine.config.reconnectMaxDelay());
    while (!engine.stopping() && !abandoned) {
      long seen = engine.waiter.generation();
      try {
        engine.broadcasts.runDue();
        boolean again;
        try {
          inDoorbell.set(true);
          engine.doorbell.enter(this);
          drain();
        } finally {
          again = leaveDoorbell();
        }
        if (again && !abandoned) {
          drain(); // the last look before sleeping: writers that skipped their NOTIFY have committed
        }
        backoff.reset();
        engine.waiter.await(seen, engine.idleWaitNanos());
      } catch (InterruptedException e) {
        if (engine.stopping() || abandoned) {
          break;
        }
        Engine.log.warn("[{}] worker {} interrupted unexpectedly; carrying on", engine.name, index);
      } catch (Throwable t) {
        // nothing kills a worker but a stop: log, back off, carry on
        if (engine.stopping() || abandoned) {
          break;
        }
        long delay = backoff.nextDelayMillis();
        Engine.log.warn(
            "[{}] worker {} failed ({} in a row), retrying in {} ms: {}",
            engine.name,
            index,
            backoff.failures(),
            delay,
            String.valueOf(t),
            backoff.failures() == 1 ? t : null);
        if (engine.sleepUnlessStopping(delay)) {
          break;
        }
      }
    }
    if (!abandoned && !Thread.currentThread().isInterrupted()) {
      engine.broadcasts.runDueWhileStopping();
    }
  }

  /** Claims batches until one comes back short, on one connection with the claim statement prepared once. */
  private void drain() throws SQLException, InterruptedException {
    try (Connection c = engine.pool.getConnection()) {
      current = c;
      guard = GuardedConnection.of(c);
      backendPid = guard.backendPid();
      try {
        if (abandoned) {
          return;
        }
        c.setAutoCommit(false);
        try (PreparedStatement claim =
                c.prepareStatement(ordered != null ? engine.sql.orderedWindowClaimBatch : engine.sql.claimBatch);
            PreparedStatement claimAll = ordered != null ? c.prepareStatement(engine.sql.orderedClaimBatch) : null;
            Statement rollbackBatch = c.createStatement()) {
          boolean everyRow = false; // ordered channels: claim over every row, not the window (after a short claim)
          while (!engine.stopping() && !abandoned) {
            PreparedStatement statement = everyRow ? claimAll : claim;
            int p = 1;
            long watermark = engine.watermark(c);
            ChannelPauses.Claimable claimable = engine.pauses.claimable(); // the arrays without paused channels
            String[] rotations = claimable.rotations();
            statement.setObject(p++, rotations[(int) (claims++ % rotations.length)], Types.OTHER);
            statement.setLong(p++, watermark);
            if (engine.config.payloadFilter() != null) {
              statement.setString(p++, engine.config.payloadFilter());
            }
            statement.setInt(p++, batchSize);
            statement.setInt(p++, batchSize);
            if (ordered != null) {
              statement.setObject(p++, claimable.orderedChannels(), Types.OTHER);
              if (!everyRow) {
                statement.setInt(p++, ORDERED_WINDOW_BATCHES * batchSize);
              }
              statement.setObject(p++, claimable.orderedBlocking(), Types.OTHER);
              statement.setLong(p++, watermark);
              if (engine.config.payloadFilter() != null) {
                statement.setString(p++, engine.config.payloadFilter());
              }
              statement.setInt(p, batchSize);
            }
            long ticket = engine.batchStarted();
            int n;
            try {
              n = claimBatch(c, statement, rollbackBatch);
            } finally {
              engine.batchFinished(ticket);
            }
            if (ordered != null) {
              boolean windowed = !everyRow;
              everyRow = windowed && n < batchSize; // a short windowed claim: look at every row next
              if (n == 0 && !windowed) {
                break;
              }
            } else if (n < batchSize) {
              break;
            }
            // ordered channels: a short batch may have held heads whose successors are ready now that it has
            // committed; claim again until a claim finds nothing (other workers skip a key while its head runs)
            if (n == batchSize) {
              engine.waiter.wake(); // a full batch: there may be more, let another worker help
            }
            engine.broadcasts.runDue(); // a long backlog must not starve broadcast events
            engine.maybeCountBacklog(c); // keeps the backlog gauge fresh while draining (every 5 s at most)
            engine.heartbeat.maybePublish(c);
            commit(c);
          }
        }
        if (!engine.stopping() && !abandoned) {
          engine.maybeCountBacklog(c);
          engine.maybePurgeBroadcasts(c);
          engine.heartbeat.maybePublish(c);
          commit(c);
        }
      } finally {
        current = null;
        guard = null;
        if (!abandoned && !c.isClosed() && !c.getAutoCommit()) {
          try {
            c.rollback();
          } catch (SQLException e) {
            // the pool evicts a broken connection; nothing is held
          }
        }
      }
    }
  }

  /**
   * Commits, unless the transaction is failed: pgjdbc's commit() of a failed transaction returns normally while
   * the server rolls it back, so a commit is never trusted blindly.
   */
  private void commit(Connection c) throws SQLException {
    GuardedConnection g = guard;
    if (g != null && g.failed()) {
      throw new SQLException(
          "the transaction is failed (a statement failed in it); PostgreSQL would roll it back at commit",
          "25P02",
          g.abortedBy());
    }
    c.commit();
  }

  /**
   * The channel names as {@code text[]} literals, each starting one channel further: claims take rows channel by
   * channel in array order, so rotating it between claims shares the batches among channels that all have a
   * backlog. Literals built once, bound as untyped parameters (the claim casts them): a {@code createArrayOf}
   * per wake-up cost about 60 us of the first claim's latency.
   */
  static String[] rotations(List<String> channels) {
    if (channels.isEmpty()) {
      return new String[] {"{}"};
    }
    String[] literals = new String[channels.size()];
    for (int i = 0; i < literals.length; i++) {
      List<String> rotated = new ArrayList<>(channels.subList(i, channels.size()));
      rotated.addAll(channels.subList(0, i));
      StringBuilder b = new StringBuilder("{");
      for (String name : rotated) {
        if (b.length() > 1) {
          b.append(',');
        }
        b.append('"').append(name.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      }
      literals[i] = b.append('}').toString();
    }
    return literals;
  }

  /** @return how many rows were claimed */
  private int claimBatch(Connection c, PreparedStatement claim, Statement rollbackBatch) throws SQLException {
    rows.clear();
    lastClaimNanos = System.nanoTime();
    // one round trip: pin the plan; claim; unpin; SAVEPOINT (Sql#claimBatch). The claim is the second result.
    claim.execute();
    if (!claim.getMoreResults()) {
      throw new IllegalStateException("the claim statement list returned no claimed rows");
    }
    try (ResultSet rs = claim.getResultSet()) {
      while (rs.next()) {
        rows.add(read(rs));
      }
    }
    int n = rows.size();
    if (n == 0) {
      c.commit(); // ends the transaction (and its savepoint) at once
      return 0;
    }
    engine.doorbell.claimed(); // awake: writers may skip their NOTIFY from now on
    rows.sort(BY_ID); // RETURNING order is not guaranteed: oldest first
    ClaimedRow failed = null; // the row whose callbacks run; null once all ran (then the commit failed)
    try {
      for (int i = 0; i < n; i++) {
        failed = rows.get(i);
        dispatch(failed);
      }
      failed = null;
      commit(c);
    } catch (Throwable t) {
      if (abandoned) {
        throw new IllegalStateException("worker " + index + " was abandoned", t);
      }
      if (failed == null) {
        // the commit failed: the transaction is gone and the rows are back in the table
        rollbackOrThrow(c, t);
        if (engine.stopping()) {
          return n;
        }
        Engine.log.warn(
            "[{}] committing a batch of {} failed ({}); running each notification in its own transaction",
            engine.name,
            n,
            String.valueOf(t));
        singleMode(c, new ArrayList<>(rows), Map.of());
        return n;
      }
      try {
        rollbackBatch.execute(Sql.ROLLBACK_BATCH); // undoes the callbacks' work, keeps the claim
      } catch (SQLException e) {
        rollbackOrThrow(c, e);
        throw e; // the connection is broken; the rows are back in the table
      }
      if (engine.stopping()) {
        c.rollback(); // released: the rows are back in the table for whoever runs next
        return n;
      }
      if (n > 1) {
        Engine.log.debug(
            "[{}] a batch of {} failed ({}); re-running it one notification per savepoint",
            engine.name,
            n,
            String.valueOf(t));
      }
      safeMode(c, new ArrayList<>(rows), failed, t);
      return n;
    }
    long now = System.currentTimeMillis();
    for (int i = 0; i < n; i++) {
      ClaimedRow r = rows.get(i);
      engine.dispatcher.channel(r.channel()).processed(now - r.createdAt().toEpochMilli());
    }
    engine.progress.processed(n);
    return n;
  }

  /** Runs one notification's callbacks, visible to the watchdog while they run. */
  private void dispatch(ClaimedRow row) throws Exception {
    running = new Running(row, System.nanoTime());
    try {
      engine.dispatcher.dispatch(row, guard);
    } finally {
      running = null;
    }
    if (abandoned) {
      throw new IllegalStateException("worker " + index + " was abandoned while notification " + row.id() + " ran");
    }
  }

  /** A row of {@link Sql#COLUMNS}. */
  static ClaimedRow read(ResultSet rs) throws SQLException {
    long micros = rs.getLong(5);
    Instant created = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    return new ClaimedRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), created, rs.getString(6));
  }

  /** Rolls back after a failure; a connection that cannot even roll back is broken: rethrow. */
  private static void rollbackOrThrow(Connection c, Throwable failure) throws SQLException {
    try {
      c.rollback();
    } catch (SQLException e) {
      e.addSuppressed(failure);
      throw e;
    }
  }

  /**
   * Runs the claimed rows of a failed batch one per savepoint, in the transaction that claimed them (rolled
   * back to the batch savepoint, so the rows are still removed and locked by it). Failed rows are put back with
   * their attempt counted.
   *
   * @param failed the row whose callback failed on the fast path: its failure is recorded without running it
   *     again, so a failing callback runs once per attempt
   * @param failure what it failed with
   */
  private void safeMode(Connection c, List<ClaimedRow> claimed, ClaimedRow failed, Throwable failure)
      throws SQLException {
    Map<Long, Throwable> failures = new java.util.HashMap<>();
    List<Runnable> after = new ArrayList<>();
    int succeeded = 0;
    for (ClaimedRow row : claimed) {
      if (engine.stopping() || abandoned) {
        if (!abandoned) {
          c.rollback(); // nothing recorded: every row is back in the table, unchanged
        }
        return;
      }
      if (row == failed) {
        failures.put(row.id(), failure);
        after.add(putBack(c, row, failure));
        continue;
      }
      Savepoint sp = c.setSavepoint();
      try {
        dispatch(row);
        c.releaseSavepoint(sp);
        succeeded++;
      } catch (Throwable t) {
        if (abandoned) {
          return;
        }
        try {
          c.rollback(sp);
        } catch (SQLException e) {
          e.addSuppressed(t);
          c.rollback();
          throw e;
        }
        failures.put(row.id(), t);
        after.add(putBack(c, row, t));
      }
    }
    try {
      commit(c);
    } catch (SQLException e) {
      rollbackOrThrow(c, e);
      Engine.log.warn(
          "[{}] committing a safe-mode batch failed ({}); running each notification in its own transaction",
          engine.name,
          String.valueOf(e));
      singleMode(c, claimed, failures);
      return;
    }
    after.forEach(Runnable::run);
    long now = System.currentTimeMillis();
    for (ClaimedRow r : claimed) {
      if (!failures.containsKey(r.id())) {
        engine.dispatcher.channel(r.channel()).processed(now - r.createdAt().toEpochMilli());
      }
    }
    engine.progress.processed(succeeded);
  }

  /**
   * Last resort, after a failed commit released the rows: one transaction per notification that is still
   * ready and unchanged, failures recorded in that transaction.
   *
   * @param failures rows already run for this attempt, with what they failed with: recorded without running
   *     them again
   */
  private void singleMode(Connection c, List<ClaimedRow> claimed, Map<Long, Throwable> failures)
      throws SQLException {
    for (ClaimedRow row : claimed) {
      if (engine.stopping() || abandoned) {
        return;
      }
      ClaimedRow fresh;
      try (PreparedStatement ps = c.prepareStatement(engine.sql.lockIds)) {
        ps.setArray(1, c.createArrayOf("bigint", new Long[] {row.id()}));
        try (ResultSet rs = ps.executeQuery()) {
          fresh = rs.next() ? read(rs) : null;
        }
      }
      if (fresh == null || fresh.attempts() != row.attempts()) {
        c.commit(); // processed, locked or failed elsewhere meanwhile: not ours any more
        continue;
      }
      Throwable known = failures.get(row.id());
      if (known != null) {
        Runnable log = recordFailure(c, fresh, known);
        commit(c);
        log.run();
        continue;
      }
      Savepoint sp = c.setSavepoint();
      Runnable log = null;
      try {
        dispatch(fresh);
        c.releaseSavepoint(sp);
        try (PreparedStatement ps = c.prepareStatement(engine.sql.deleteIds)) {
          ps.setArray(1, c.createArrayOf("bigint", new Long[] {fresh.id()}));
          ps.executeUpdate();
        }
      } catch (Throwable t) {
        if (abandoned) {
          return;
        }
        try {
          c.rollback(sp);
        } catch (SQLException e) {
          e.addSuppressed(t);
          c.rollback();
          throw e;
        }
        log = recordFailure(c, fresh, t);
      }
      commit(c);
      if (log != null) {
        log.run();
      } else {
        engine.dispatcher.channel(fresh.channel()).processed(
            System.currentTimeMillis() - fresh.createdAt().toEpochMilli());
        engine.progress.processed(1);
      }
    }
  }

  /**
   * Puts a claimed (deleted, in this transaction) row back with its failed attempt counted: ready again after
   * the retry delay, or dead. Returns the logging and metrics to run once the transaction committed.
   */
  private Runnable putBack(Connection c, ClaimedRow row, Throwable t) throws SQLException {
    return record(c, row, t, true, false);
  }

  /**
   * Records a failed attempt of a row this transaction holds locked (retry later, or dead); returns the
   * logging and metrics to run once that transaction committed.
   */
  Runnable recordFailure(Connection c, ClaimedRow row, Throwable t) throws SQLException {
    return record(c, row, t, false, false);
  }

  /**
   * Records the attempt of a notification whose callbacks a stopping listener cut off. The attempt counts (a
   * callback that never finishes ends dead after max attempts), but the row is ready again at once: the retry
   * delay is known only to this stopping process, and another process that polls rarely must not wait for its
   * poll. The stop's last wake-up tells the others to look.
   */
  Runnable recordStopped(Connection c, ClaimedRow row, Throwable t) throws SQLException {
    return record(c, row, t, false, true);
  }

  /** @param putBack the row is deleted in this transaction (a claim): insert it again, rather than update it */
  private Runnable record(Connection c, ClaimedRow row, Throwable t, boolean putBack, boolean readyNow)
      throws SQLException {
    int attempt = row.attempts() + 1;
    DecodeException decode = DecodeFailure.find(t);
    Throwable reported = decode != null ? decode : t;
    String error = describe(reported);
    Metrics.ChannelMetrics m = engine.dispatcher.channel(row.channel()) != null
        ? engine.dispatcher.channel(row.channel()).metrics
        : Metrics.NO_OP_CHANNEL;
    boolean dead = decode != null || retry.exhaustedAfter(attempt);
    long delay = dead || readyNow ? 0 : retry.delayMillisAfter(attempt);
    if (putBack) {
      try (PreparedStatement ps = c.prepareStatement(dead ? engine.sql.restoreDead : engine.sql.restoreRetry)) {
        ps.setLong(1, row.id());
        ps.setString(2, row.channel());
        ps.setString(3, row.payload());
        ps.setObject(4, OffsetDateTime.ofInstant(row.createdAt(), ZoneOffset.UTC));
        ps.setString(5, row.orderKey());
        ps.setInt(6, attempt);
        ps.setString(7, error);
        if (!dead) {
          ps.setLong(8, delay);
        }
        ps.executeUpdate();
      }
    } else if (dead) {
      try (PreparedStatement ps = c.prepareStatement(engine.sql.markDead)) {
        ps.setString(1, error);
        ps.setLong(2, row.id());
        ps.executeUpdate();
      }
    } else {
      try (PreparedStatement ps = c.prepareStatement(engine.sql.markRetry)) {
        ps.setLong(1, delay);
        ps.setString(2, error);
        ps.setLong(3, row.id());
        ps.executeUpdate();
      }
    }
    engine.heartbeat.attempts().record(c, row.id(), attempt, error); // the notification's bounded history
    if (dead) {
      return () -> {
        m.failed();
        m.dead();
        Engine.log.error(
            "[{}] notification {} on channel '{}' is dead after {} attempt(s){}; it keeps its payload and"
                + " error for DeadLetters (list/retry/purge)",
            engine.name,
            row.id(),
            row.channel(),
            attempt,
            decode != null ? " (it cannot be decoded: " + decode.getMessage() + ")" : "",
            reported);
      };
    }
    return () -> {
      m.failed();
      m.retried();
      engine.retryDueIn(delay);
      Engine.log.warn(
          "[{}] notification {} on channel '{}' failed (attempt {} of {}), next attempt in {} ms: {}",
          engine.name,
          row.id(),
          row.channel(),
          attempt,
          retry.maxAttempts(),
          delay,
          String.valueOf(reported),
          attempt == 1 ? reported : null);
    };
  }

  /** Class, message and stack trace, for last_error (bounded, and without NULs PostgreSQL text rejects). */
  static String describe(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    String s = w.toString().replace('\u0000', ' ');
    return s.length() > MAX_ERROR_CHARS ? s.substring(0, MAX_ERROR_CHARS) + "\n\t... (truncated)" : s;
  }
}
