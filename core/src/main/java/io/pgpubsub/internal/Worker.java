package io.pgpubsub.internal;

import io.pgpubsub.RetryPolicy;
import io.pgpubsub.spi.DecodeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A worker thread: waits for a wake-up (NOTIFY), a due retry or the poll interval, then claims and
 * processes batches until the channels are drained.
 *
 * <p><b>Fast path.</b> One statement claims and removes a batch: {@code DELETE ... WHERE id = ANY(ARRAY(SELECT id
 * ... ORDER BY channel, id LIMIT n FOR UPDATE SKIP LOCKED)) RETURNING ...} (see {@link Sql#claimDelete}). The
 * callbacks of every row run in that same transaction, which then commits: four round trips per batch (the
 * claim, the planner settings before and after it, the commit), and every callback's database work commits
 * atomically with the removal of its notification.
 *
 * <p><b>Safe mode.</b> When anything in the batch fails (a callback, decoding, the resources' flush, the
 * commit), the whole batch is rolled back and re-run: its rows are locked again ({@code SELECT ... FOR UPDATE
 * SKIP LOCKED}, without removing them), each notification runs under its own savepoint, successes are
 * removed, and each failure is rolled back to its savepoint and recorded (attempts, next_attempt_at,
 * last_error, or dead_at once attempts are exhausted; undecodable payloads are dead at once), all in one
 * transaction. The notification that failed on the fast path is not run again in safe mode (its failure is
 * recorded at once), so a failing callback runs once per attempt; its batch mates that had already run are
 * invoked once more; their database work still
 * commits at most once, and external side effects are at-least-once, as documented. If even the safe-mode
 * commit fails, each notification is run in a transaction of its own.
 */
final class Worker implements Runnable {

  private static final int MAX_ERROR_CHARS = 32_000;

  private final Engine engine;
  private final int index;
  private final int batchSize;
  private final RetryPolicy retry;
  private final List<ClaimedRow> rows;
  /** Claims made by this worker: picks the rotation of the channels array for the next claim. */
  private long claims;
  private static final Comparator<ClaimedRow> BY_ID = Comparator.comparingLong(ClaimedRow::id);
  Thread thread;
  private volatile Connection current;
  /** What callbacks see of {@link #current}. */
  private Connection guarded;

  Worker(Engine engine, int index) {
    this.engine = engine;
    this.index = index;
    this.batchSize = engine.config.batchSize();
    this.retry = engine.config.retryPolicy();
    this.rows = new ArrayList<>(batchSize);
  }

  /** Called by close() after the grace period: rolls back whatever this worker holds. */
  void abortConnection() {
    Engine.abortQuietly(current);
  }

  @Override
  public void run() {
    Backoff backoff =
        new Backoff(engine.config.reconnectInitialDelay(), engine.config.reconnectMaxDelay());
    while (!engine.stopping()) {
      long seen = engine.waiter.generation();
      try {
        engine.broadcasts.runDue();
        engine.doorbell.enter();
        boolean again;
        try {
          drain();
        } finally {
          again = engine.doorbell.leave();
        }
        if (again) {
          drain(); // the last look before sleeping: writers that skipped their NOTIFY have committed
        }
        backoff.reset();
      } catch (Throwable t) {
        if (engine.stopping()) {
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
        continue;
      }
      try {
        engine.waiter.await(seen, engine.idleWaitNanos());
      } catch (InterruptedException e) {
        if (engine.stopping()) {
          break;
        }
        Engine.log.warn("[{}] worker {} interrupted unexpectedly; carrying on", engine.name, index);
      }
    }
    if (!Thread.currentThread().isInterrupted()) {
      engine.broadcasts.runDueWhileStopping();
    }
  }

  /** Claims batches until one comes back short, on one connection with the claim statement prepared once. */
  private void drain() throws SQLException, InterruptedException {
    try (Connection c = engine.pool.getConnection()) {
      current = c;
      guarded = GuardedConnection.wrap(c);
      try {
        c.setAutoCommit(false);
        Array[] rotations = rotations(c, engine.config.channelNames());
        try (PreparedStatement claim = c.prepareStatement(engine.sql.claimDelete);
            PreparedStatement pin = c.prepareStatement(Sql.PIN_CLAIM_PLAN);
            PreparedStatement unpin = c.prepareStatement(Sql.UNPIN_CLAIM_PLAN)) {
          int p = 2;
          claim.setLong(p++, engine.watermark);
          if (engine.config.payloadFilter() != null) {
            claim.setString(p++, engine.config.payloadFilter());
          }
          claim.setInt(p++, batchSize);
          claim.setInt(p, batchSize);
          while (!engine.stopping()) {
            claim.setArray(1, rotations[(int) (claims++ % rotations.length)]);
            int n = claimBatch(c, claim, pin, unpin);
            if (n < batchSize) {
              break;
            }
            engine.waiter.wake(); // a full batch: there may be more, let another worker help
            engine.doorbell.fullBatch(c); // and other processes, which writers do not wake while we are awake
            engine.broadcasts.runDue(); // a long backlog must not starve broadcast events
            engine.maybeCountBacklog(c); // keeps the backlog gauge fresh while draining (every 5 s at most)
            engine.heartbeat.maybePublish(c);
            c.commit();
          }
        }
        if (!engine.stopping()) {
          engine.maybeCountBacklog(c);
          engine.maybePurgeBroadcasts(c);
          engine.heartbeat.maybePublish(c);
          c.commit();
        }
      } finally {
        current = null;
        guarded = null;
        if (!c.isClosed() && !c.getAutoCommit()) {
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
   * The channel names as SQL arrays, each starting one channel further: claims take rows channel by channel in
   * array order, so rotating it between claims shares the batches among channels that all have a backlog.
   */
  private static Array[] rotations(Connection c, List<String> channels) throws SQLException {
    Array[] arrays = new Array[channels.size()];
    for (int i = 0; i < arrays.length; i++) {
      List<String> rotated = new ArrayList<>(channels.subList(i, channels.size()));
      rotated.addAll(channels.subList(0, i));
      arrays[i] = c.createArrayOf("text", rotated.toArray());
    }
    return arrays;
  }

  /** @return how many rows were claimed */
  private int claimBatch(Connection c, PreparedStatement claim, PreparedStatement pin, PreparedStatement unpin)
      throws SQLException, InterruptedException {
    rows.clear();
    String sortBefore;
    String bitmapBefore;
    try (ResultSet rs = pin.executeQuery()) {
      rs.next();
      sortBefore = rs.getString(1);
      bitmapBefore = rs.getString(2);
    }
    try (ResultSet rs = claim.executeQuery()) {
      while (rs.next()) {
        rows.add(read(rs));
      }
    }
    int n = rows.size();
    if (n == 0) {
      c.commit(); // also ends the transaction-local planner settings
      return 0;
    }
    unpin.setString(1, sortBefore);
    unpin.setString(2, bitmapBefore);
    unpin.executeQuery().close(); // the callbacks' own queries are planned as the session would plan them
    rows.sort(BY_ID); // RETURNING order is not guaranteed: oldest first
    ClaimedRow running = null; // the row whose callbacks run; null once all ran (then the commit failed)
    try {
      for (int i = 0; i < n; i++) {
        running = rows.get(i);
        engine.dispatcher.dispatch(running, c, guarded);
      }
      running = null;
      c.commit();
    } catch (Throwable t) {
      rollbackOrThrow(c, t);
      if (engine.stopping()) {
        return n; // released: the rows are back in the table for whoever runs next
      }
      if (n == 1) {
        recordAlone(c, rows.get(0), t); // nothing to separate: record the failure without running it again
        return n;
      }
      Engine.log.debug(
          "[{}] a batch of {} failed ({}); re-running it one notification per savepoint",
          engine.name,
          n,
          String.valueOf(t));
      safeMode(c, ids(rows), running, t);
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

  private static ClaimedRow read(ResultSet rs) throws SQLException {
    OffsetDateTime created = rs.getObject(5, OffsetDateTime.class); // no Calendar work, unlike getTimestamp
    return new ClaimedRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getInt(4), created.toInstant());
  }

  private static Long[] ids(List<ClaimedRow> rows) {
    Long[] ids = new Long[rows.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rows.get(i).id();
    }
    return ids;
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
   * @param failed the row whose callback failed on the fast path, or null (the commit failed): its failure is
   *     recorded without running it again, so a failing callback runs once per attempt
   * @param failure what it failed with
   */
  private void safeMode(Connection c, Long[] ids, ClaimedRow failed, Throwable failure) throws SQLException {
    List<ClaimedRow> locked = new ArrayList<>(ids.length);
    try (PreparedStatement ps = c.prepareStatement(engine.sql.lockIds)) {
      ps.setArray(1, c.createArrayOf("bigint", ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          locked.add(read(rs));
        }
      }
    }
    java.util.Set<Long> succeeded = new java.util.HashSet<>();
    List<Runnable> after = new ArrayList<>();
    for (ClaimedRow row : locked) {
      if (engine.stopping()) {
        break; // untouched rows are released unchanged by the commit below
      }
      if (failed != null && row.id() == failed.id() && row.attempts() == failed.attempts()) {
        after.add(recordFailure(c, row, failure));
        continue;
      }
      Savepoint sp = c.setSavepoint();
      try {
        engine.dispatcher.dispatch(row, c, guarded);
        c.releaseSavepoint(sp);
        succeeded.add(row.id());
      } catch (Throwable t) {
        try {
          c.rollback(sp);
        } catch (SQLException e) {
          e.addSuppressed(t);
          c.rollback();
          throw e;
        }
        after.add(recordFailure(c, row, t));
      }
    }
    try {
      if (!succeeded.isEmpty()) {
        try (PreparedStatement ps = c.prepareStatement(engine.sql.deleteIds)) {
          ps.setArray(1, c.createArrayOf("bigint", succeeded.toArray()));
          ps.executeUpdate();
        }
      }
      c.commit();
    } catch (SQLException e) {
      rollbackOrThrow(c, e);
      Engine.log.warn(
          "[{}] committing a safe-mode batch failed ({}); running each notification in its own transaction",
          engine.name,
          String.valueOf(e));
      singleMode(c, locked);
      return;
    }
    after.forEach(Runnable::run);
    long now = System.currentTimeMillis();
    for (ClaimedRow r : locked) {
      if (succeeded.contains(r.id())) {
        engine.dispatcher.channel(r.channel()).processed(now - r.createdAt().toEpochMilli());
      }
    }
    engine.progress.processed(succeeded.size());
  }

  /** Records the failure of a batch of one (already rolled back) in a new transaction, if the row is still ours. */
  private void recordAlone(Connection c, ClaimedRow row, Throwable failure) throws SQLException {
    ClaimedRow fresh;
    try (PreparedStatement ps = c.prepareStatement(engine.sql.lockIds)) {
      ps.setArray(1, c.createArrayOf("bigint", new Long[] {row.id()}));
      try (ResultSet rs = ps.executeQuery()) {
        fresh = rs.next() ? read(rs) : null;
      }
    }
    if (fresh == null || fresh.attempts() != row.attempts()) {
      c.commit(); // another listener took it meanwhile
      return;
    }
    Runnable after = recordFailure(c, fresh, failure);
    c.commit();
    after.run();
  }

  /** Last resort: one transaction per notification, failures recorded in a transaction of their own. */
  private void singleMode(Connection c, List<ClaimedRow> rows) throws SQLException {
    for (ClaimedRow row : rows) {
      if (engine.stopping()) {
        return;
      }
      ClaimedRow fresh;
      try (PreparedStatement ps = c.prepareStatement(engine.sql.lockIds)) {
        ps.setArray(1, c.createArrayOf("bigint", new Long[] {row.id()}));
        try (ResultSet rs = ps.executeQuery()) {
          fresh = rs.next() ? read(rs) : null;
        }
      }
      if (fresh == null) {
        c.commit();
        continue;
      }
      try {
        engine.dispatcher.dispatch(fresh, c, guarded);
        try (PreparedStatement ps = c.prepareStatement(engine.sql.deleteIds)) {
          ps.setArray(1, c.createArrayOf("bigint", new Long[] {fresh.id()}));
          ps.executeUpdate();
        }
        c.commit();
        engine.dispatcher.channel(fresh.channel()).processed(
            System.currentTimeMillis() - fresh.createdAt().toEpochMilli());
      } catch (Throwable t) {
        rollbackOrThrow(c, t);
        Runnable log = recordFailure(c, fresh, t);
        c.commit();
        log.run();
      }
    }
  }

  /**
   * Records a failed attempt in the current transaction (retry later, or dead); returns the logging and
   * metrics to run once that transaction committed.
   */
  private Runnable recordFailure(Connection c, ClaimedRow row, Throwable t) throws SQLException {
    int attempt = row.attempts() + 1;
    DecodeException decode = DecodeFailure.find(t);
    Throwable reported = decode != null ? decode : t;
    String error = describe(reported);
    Metrics.ChannelMetrics m = engine.dispatcher.channel(row.channel()) != null
        ? engine.dispatcher.channel(row.channel()).metrics
        : Metrics.NO_OP_CHANNEL;
    if (decode != null || retry.exhaustedAfter(attempt)) {
      try (PreparedStatement ps = c.prepareStatement(engine.sql.markDead)) {
        ps.setString(1, error);
        ps.setLong(2, row.id());
        ps.executeUpdate();
      }
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
    long delay = retry.delayMillisAfter(attempt);
    try (PreparedStatement ps = c.prepareStatement(engine.sql.markRetry)) {
      ps.setLong(1, delay);
      ps.setString(2, error);
      ps.setLong(3, row.id());
      ps.executeUpdate();
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
