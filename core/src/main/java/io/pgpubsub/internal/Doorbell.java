package io.pgpubsub.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Lets writers skip {@code pg_notify} while this listener process is awake.
 *
 * <p><b>Why.</b> PostgreSQL serializes the commits of every transaction that sent a NOTIFY, database-wide: a
 * lock taken at commit and held until the commit is on disk. With many small writer transactions that lock,
 * not the trigger's work, sets the write rate (measured: a third of the inserts per second). A NOTIFY is only
 * needed when no listener is going to look at the table anyway.
 *
 * <p><b>The protocol</b>, on two advisory locks per channel ({@link #AWAKE} and {@link #CHECK}, second key
 * {@code hashtext(channel)}):
 *
 * <ul>
 *   <li>While its workers drain, the process holds the channel's AWAKE lock (exclusive, session-level, on a
 *       dedicated connection; at most one process holds it).
 *   <li>The generated trigger first tries CHECK in shared mode for the rest of its transaction. Failing that
 *       (a listener is checking, below), it notifies. Otherwise it tries AWAKE in shared mode (and releases it
 *       at once): if it gets it, no process is awake, and it notifies; if not, it skips the NOTIFY, still
 *       holding CHECK until its transaction ends.
 *   <li>Before its workers sleep, the process releases AWAKE (from then on writers notify), then takes and
 *       releases CHECK in exclusive mode: that waits until every transaction that skipped its NOTIFY has
 *       ended (locks are released after the commit is visible), and while it waits, writers cannot get CHECK,
 *       so they notify rather than queue. The worker then drains once more, which sees their rows.
 * </ul>
 *
 * A writer that skipped its NOTIFY therefore either committed before the last drain looked, or is being waited
 * for. Every failure leaves writers notifying: the connection drops (the server releases its locks), the wait
 * for CHECK times out (after the poll interval, at most 1 s; then the poll finds what is left), or another process holds
 * AWAKE (this one drains without it). A process holding AWAKE that claims full batches sends a NOTIFY itself,
 * at most every {@value #HELP_INTERVAL_MILLIS} ms, so that other processes wake up and help.
 */
final class Doorbell {

  /** First key of the "awake" lock: 'pgs1'. The generated triggers use the same numbers. */
  static final int AWAKE = 0x70677331;
  /** First key of the "check" lock: 'pgs2'. */
  static final int CHECK = 0x70677332;
  /** How often, at most, a process that holds AWAKE and claims full batches wakes the others. */
  static final long HELP_INTERVAL_MILLIS = 100;

  private final Engine engine;
  private final List<String> channels;
  /** Guards the connection and changes of {@link #held}; enter() never waits for it. */
  private final ReentrantLock lock = new ReentrantLock();
  private Connection connection;
  /** The channels whose AWAKE this process holds; replaced, never changed (fullBatch reads it without lock). */
  private volatile Set<String> held = Set.of();
  /** Workers between enter() and leave(). */
  private int active;
  private long lastHelp;

  /** @param channels the lockable channels (broadcast events always travel in a NOTIFY) */
  Doorbell(Engine engine, List<String> channels) {
    this.engine = engine;
    this.channels = List.copyOf(channels);
  }

  /** A worker starts draining: takes AWAKE for the channels no other process holds it for. */
  void enter() {
    synchronized (this) {
      active++;
    }
    if (channels.isEmpty() || !lock.tryLock()) {
      return; // someone is checking or acquiring right now: drain without it (writers keep notifying)
    }
    try {
      if (!held.isEmpty() || engine.stopping()) {
        return;
      }
      Connection c = connection();
      Set<String> taken = new LinkedHashSet<>();
      try (PreparedStatement ps =
          c.prepareStatement("SELECT ch, pg_try_advisory_lock(?, hashtext(ch)) FROM unnest(?::text[]) AS ch")) {
        ps.setInt(1, AWAKE);
        ps.setArray(2, c.createArrayOf("text", channels.toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (rs.getBoolean(2)) {
              taken.add(rs.getString(1));
            }
          }
        }
      }
      held = Collections.unmodifiableSet(taken);
    } catch (SQLException e) {
      fail(e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * A worker finished draining. When it was the last one and AWAKE was held, releases it and waits for the
   * writers that skipped their NOTIFY.
   *
   * @return true when the caller must drain once more (the rows of those writers are visible now)
   */
  boolean leave() {
    synchronized (this) {
      if (--active > 0) {
        return false;
      }
    }
    lock.lock();
    try {
      if (held.isEmpty()) {
        return false;
      }
      synchronized (this) {
        if (active > 0) {
          return false; // another worker started meanwhile: it keeps AWAKE
        }
      }
      Connection c = connection();
      Set<String> released = held;
      try (PreparedStatement unlock =
          c.prepareStatement("SELECT pg_advisory_unlock(?, hashtext(ch)) FROM unnest(?::text[]) AS ch")) {
        unlock.setInt(1, AWAKE);
        unlock.setArray(2, c.createArrayOf("text", released.toArray()));
        unlock.executeQuery().close();
      }
      held = Set.of();
      awaitSkippedWriters(c, released);
      return true;
    } catch (SQLException e) {
      fail(e);
      return true; // the locks went with the connection; look once more anyway
    } finally {
      lock.unlock();
    }
  }

  /**
   * Takes and at once releases CHECK on each channel: returns when every writer that skipped its NOTIFY has
   * ended, or after the lock timeout (then the poll finds what such a writer stored).
   */
  private void awaitSkippedWriters(Connection c, Set<String> channels) throws SQLException {
    try (PreparedStatement check =
        c.prepareStatement("SELECT pg_advisory_lock(?, hashtext(?)), pg_advisory_unlock(?, hashtext(?))")) {
      for (String channel : channels) {
        check.setInt(1, CHECK);
        check.setString(2, channel);
        check.setInt(3, CHECK);
        check.setString(4, channel);
        try {
          check.executeQuery().close();
        } catch (SQLException e) {
          if (!"55P03".equals(e.getSQLState())) {
            throw e;
          }
          Engine.log.debug(
              "[{}] a writer on '{}' is still open after {} ms", engine.name, channel, lockTimeoutMillis());
        }
      }
    }
  }

  /**
   * A worker claimed a full batch: when this process holds AWAKE (so writers do not wake anyone), wakes the
   * other processes too, within the batch's transaction, at most every {@value #HELP_INTERVAL_MILLIS} ms.
   */
  void fullBatch(Connection c) throws SQLException {
    Set<String> holding = held;
    if (holding.isEmpty()) {
      return;
    }
    synchronized (this) {
      long now = System.nanoTime();
      if (now - lastHelp < TimeUnit.MILLISECONDS.toNanos(HELP_INTERVAL_MILLIS)) {
        return;
      }
      lastHelp = now;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, '')")) {
      ps.setString(1, holding.iterator().next());
      ps.executeQuery().close();
    }
  }

  /** Closes the connection, which releases every lock it holds. */
  void close() {
    lock.lock();
    try {
      drop();
    } finally {
      lock.unlock();
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = engine.openListenConnection(); // direct (listenUrl), autocommit: session locks need both
      try (Statement s = c.createStatement()) {
        s.execute("SET lock_timeout = " + lockTimeoutMillis()); // bounds the wait for CHECK
      } catch (SQLException e) {
        Engine.closeQuietly(c);
        throw e;
      }
      connection = c;
    }
    return connection;
  }

  /**
   * How long the last worker out waits for writers that skipped their NOTIFY: the poll interval, at most 1 s
   * (the worker does nothing else meanwhile). A writer transaction open longer than that has its row found
   * by the poll.
   */
  private long lockTimeoutMillis() {
    return Math.max(1, Math.min(1_000, engine.config.pollInterval().toMillis()));
  }

  private void fail(SQLException e) {
    Engine.log.debug("[{}] doorbell connection failed, writers notify until it is back: {}", engine.name, e.toString());
    drop();
  }

  /** Forgets the connection and closes it; the server releases its locks. Call with {@link #lock} held. */
  private void drop() {
    held = Set.of();
    Engine.closeQuietly(connection);
    connection = null;
  }
}
