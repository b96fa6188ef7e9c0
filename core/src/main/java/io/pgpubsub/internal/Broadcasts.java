package io.pgpubsub.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgpubsub.spi.DecodeException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Events of broadcast channels (not lockable): they arrive in the NOTIFY payload (the envelope itself, or
 * {@code {"ref":id}} pointing at a copy in {@code pgpubsub_broadcast} when it was too large), are queued here
 * by the LISTEN thread and run by the workers, each in a transaction of its own on a pool connection.
 *
 * <p>A failing callback is retried in this process per the retry policy; when the attempts are exhausted
 * (or the event cannot be decoded) the event is stored as a dead row in {@code pgpubsub_notification}, so
 * nothing is silently lost and an operator can retry it (it is then processed once, by one listener). The
 * queue holds at most {@value #CAPACITY} events; beyond that the LISTEN thread waits, and PostgreSQL's
 * notification queue absorbs the burst.
 */
final class Broadcasts {

  static final int CAPACITY = 10_000;

  private final Engine engine;
  private final boolean enabled;
  private final DelayQueue<Event> queue = new DelayQueue<>();
  private final Semaphore permits = new Semaphore(CAPACITY);

  Broadcasts(Engine engine) {
    this.engine = engine;
    this.enabled = engine.config.channels().stream().anyMatch(c -> !c.lockable());
  }

  boolean enabled() {
    return enabled;
  }

  /** Queues an event (LISTEN thread); waits while the queue is full. @return false when stopping */
  boolean offer(String channel, String payload) throws InterruptedException {
    while (!permits.tryAcquire(Engine.LISTEN_READ_MILLIS, TimeUnit.MILLISECONDS)) {
      if (engine.stopping()) {
        return false;
      }
    }
    queue.add(new Event(channel, payload, Instant.now()));
    return true;
  }

  long nanosUntilNextDue() {
    Event e = queue.peek();
    return e == null ? Long.MAX_VALUE : Math.max(0, e.getDelay(TimeUnit.NANOSECONDS));
  }

  /** Runs every due event (worker threads). */
  void runDue() throws SQLException {
    if (!enabled) {
      return;
    }
    Event e;
    while (!engine.stopping() && (e = queue.poll()) != null) {
      process(e);
    }
  }

  /** On stop: events already received and due still run; delayed retries are given up (and logged). */
  void runDueWhileStopping() {
    Event e;
    while ((e = queue.poll()) != null) {
      try {
        process(e);
      } catch (SQLException | RuntimeException ex) {
        Engine.log.warn("[{}] broadcast event on '{}' not processed while stopping: {}", engine.name, e.channel, ex.toString());
        permits.release();
      }
    }
  }

  void dropPending() {
    int n = queue.size();
    queue.clear();
    if (n > 0) {
      Engine.log.warn(
          "[{}] {} broadcast event(s) waiting for a retry were not processed before stop", engine.name, n);
    }
  }

  private void process(Event e) throws SQLException {
    Connection c;
    try {
      c = engine.pool.getConnection();
    } catch (SQLException ex) {
      e.due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      queue.add(e); // not an attempt: the database is away; the worker backs off
      throw ex;
    }
    try (c) {
      c.setAutoCommit(false);
      if (e.resolved == null && !resolve(c, e)) {
        permits.release();
        return;
      }
      ClaimedRow row = new ClaimedRow(0, e.channel, e.resolved, e.attempts, e.createdAt);
      Metrics.ChannelMetrics m = engine.dispatcher.channel(e.channel).metrics;
      try {
        engine.dispatcher.dispatch(row, c);
        c.commit();
      } catch (Throwable t) {
        try {
          c.rollback();
        } catch (SQLException ex) {
          ex.addSuppressed(t);
          e.due = System.nanoTime();
          queue.add(e);
          throw ex;
        }
        failed(c, e, t, m);
        return;
      }
      m.processed(System.currentTimeMillis() - e.createdAt.toEpochMilli());
      permits.release();
    }
  }

  /** Reads a {@code {"ref":id}} event's stored copy; false (logged) when it is gone. */
  private boolean resolve(Connection c, Event e) throws SQLException {
    long ref = ref(e.payload);
    if (ref < 0) {
      e.resolved = e.payload;
      return true;
    }
    try (PreparedStatement ps = c.prepareStatement(engine.sql.readBroadcast)) {
      ps.setLong(1, ref);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          c.commit();
          Engine.log.error(
              "[{}] broadcast event {} on channel '{}' refers to stored copy {} in {}, which no longer exists"
                  + " (copies are kept for 1 hour); the event is lost for this listener",
              engine.name,
              e.payload,
              e.channel,
              ref,
              engine.sql.broadcastTable);
          return false;
        }
        e.resolved = rs.getString(1);
        e.createdAt = rs.getTimestamp(2).toInstant();
      }
    }
    c.commit();
    return true;
  }

  /** The id of a {@code {"ref":N}} payload, or -1 when the payload is the event itself. */
  private long ref(String payload) {
    if (payload.length() > 64 || !payload.contains("\"ref\"")) {
      return -1;
    }
    try {
      JsonNode n = engine.mapper.readTree(payload);
      if (n != null && n.isObject() && n.size() == 1 && n.get("ref").canConvertToLong()) {
        return n.get("ref").asLong();
      }
    } catch (Exception ex) {
      // not a reference: the dispatcher will report what is wrong with it
    }
    return -1;
  }

  private void failed(Connection c, Event e, Throwable t, Metrics.ChannelMetrics m) throws SQLException {
    int attempt = e.attempts + 1;
    DecodeException decode = DecodeFailure.find(t);
    Throwable reported = decode != null ? decode : t;
    m.failed();
    if (decode == null && !engine.config.retryPolicy().exhaustedAfter(attempt)) {
      long delay = engine.config.retryPolicy().delayMillisAfter(attempt);
      e.attempts = attempt;
      e.due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
      queue.add(e);
      m.retried();
      engine.waiter.wake();
      Engine.log.warn(
          "[{}] broadcast event on channel '{}' failed (attempt {} of {}), next attempt in {} ms: {}",
          engine.name,
          e.channel,
          attempt,
          engine.config.retryPolicy().maxAttempts(),
          delay,
          String.valueOf(reported),
          attempt == 1 ? reported : null);
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(engine.sql.insertDead)) {
      ps.setString(1, e.channel);
      ps.setString(2, e.resolved);
      ps.setInt(3, attempt);
      ps.setString(4, Worker.describe(reported));
      ps.executeUpdate();
      c.commit();
    } catch (SQLException ex) {
      e.due = System.nanoTime();
      queue.add(e);
      throw ex;
    }
    permits.release();
    m.dead();
    Engine.log.error(
        "[{}] broadcast event on channel '{}' failed {} time(s){}; stored as a dead notification for"
            + " DeadLetters (list/retry/purge)",
        engine.name,
        e.channel,
        attempt,
        decode != null ? " (it cannot be decoded: " + decode.getMessage() + ")" : "",
        reported);
  }

  private static final java.util.concurrent.atomic.AtomicLong SEQ = new java.util.concurrent.atomic.AtomicLong();

  static final class Event implements Delayed {
    final String channel;
    final String payload;
    String resolved;
    Instant createdAt;
    int attempts;
    long due = System.nanoTime();
    private final long seq = SEQ.incrementAndGet();

    Event(String channel, String payload, Instant receivedAt) {
      this.channel = channel;
      this.payload = payload;
      this.createdAt = receivedAt;
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      Event e = (Event) o;
      int c = Long.compare(due, e.due);
      return c != 0 ? c : Long.compare(seq, e.seq);
    }
  }
}
