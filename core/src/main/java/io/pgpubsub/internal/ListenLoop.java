package io.pgpubsub.internal;

import io.pgpubsub.spi.ChannelDefinition;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The LISTEN thread. It owns one dedicated, unpooled connection in autocommit mode (never inside an open
 * transaction, or PostgreSQL holds the notifications back and its queue fills), LISTENs on every channel
 * (quoted identifiers), and reads with {@code getNotifications(timeout)} so that no read blocks forever: a
 * connection silent for {@value Engine#LISTEN_HEALTH_CHECK_MILLIS} ms is checked with {@code isValid}.
 *
 * <p>NOTIFY names are scoped by the notification table's schema ({@link ChannelNames#notifyName}), so a
 * same-named channel of another installation in the database never reaches this one.
 *
 * <p>A NOTIFY on a lockable channel only wakes the workers (the rows are in the table). A broadcast
 * channel's NOTIFY carries the event, which is queued for the workers. After any failure the connection is
 * replaced, with exponential back-off and jitter, and every successful (re)connect wakes the workers for a
 * full re-scan of the table: whatever was committed while nobody listened is processed.
 */
final class ListenLoop implements Runnable {

  private final Engine engine;
  /** Broadcast channels by their NOTIFY name ({@link ChannelNames#notifyName}). */
  private final Map<String, String> broadcastChannels = new HashMap<>();
  private final List<String> notifyNames = new ArrayList<>();
  private volatile Connection connection;

  ListenLoop(Engine engine, Connection first) {
    this.engine = engine;
    this.connection = first;
    for (ChannelDefinition c : engine.config.channels()) {
      String name = ChannelNames.notifyName(engine.config.schema(), c.name());
      notifyNames.add(name);
      if (!c.lockable()) {
        broadcastChannels.put(name, c.name());
      }
    }
  }

  /** Issues LISTEN for every channel on {@code c}, under its schema-scoped name. */
  void listen(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String name : notifyNames) {
        s.execute("LISTEN \"" + name.replace("\"", "\"\"") + '"');
      }
    }
  }

  /** True while the LISTEN connection is up (false between a loss and the reconnect). */
  boolean connected() {
    return connection != null;
  }

  /** From close(): unblocks a pending read at once. */
  void abort() {
    engine.abort(connection);
  }

  @Override
  public void run() {
    Backoff backoff =
        new Backoff(engine.config.reconnectInitialDelay(), engine.config.reconnectMaxDelay());
    long lostAt = 0;
    while (!engine.stopping()) {
      Connection c = connection;
      try {
        if (c == null) {
          c = engine.openListenConnection();
          connection = c;
          if (engine.stopping()) {
            break;
          }
          listen(c);
          Engine.log.info(
              "[{}] LISTEN connection re-established after {} ms; re-scanning the table",
              engine.name,
              (System.nanoTime() - lostAt) / 1_000_000);
        }
        backoff.reset();
        engine.waiter.wakeAll(); // full re-scan after every (re)connect
        read(c);
      } catch (Throwable t) {
        if (engine.stopping()) {
          break;
        }
        if (t instanceof InterruptedException) {
          Engine.log.warn("[{}] LISTEN thread interrupted unexpectedly; carrying on", engine.name);
        }
        connection = null;
        Engine.closeQuietly(c);
        if (lostAt == 0 || backoff.failures() == 0) {
          lostAt = System.nanoTime();
        }
        long delay = backoff.nextDelayMillis();
        Engine.log.warn(
            "[{}] LISTEN connection lost or unusable ({}); reconnecting in {} ms (attempt {})",
            engine.name,
            String.valueOf(t),
            delay,
            backoff.failures());
        if (engine.sleepUnlessStopping(delay)) {
          break;
        }
      }
    }
    Engine.closeQuietly(connection);
    connection = null;
  }

  private void read(Connection c) throws SQLException, InterruptedException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long lastHeard = System.nanoTime();
    while (!engine.stopping()) {
      PGNotification[] ns = pg.getNotifications((int) Engine.LISTEN_READ_MILLIS);
      long now = System.nanoTime();
      if (ns != null && ns.length > 0) {
        lastHeard = now;
        boolean wake = false;
        for (PGNotification n : ns) {
          String payload = n.getParameter();
          String broadcast = broadcastChannels.get(n.getName());
          if (broadcast == null || payload == null || payload.isEmpty()) {
            wake = true; // a lockable channel, or a dead broadcast row retried by an operator
          } else if (engine.broadcasts.offer(broadcast, payload)) {
            wake = true;
          }
        }
        if (wake) {
          engine.waiter.wake();
        }
      } else if (now - lastHeard > Engine.LISTEN_HEALTH_CHECK_MILLIS * 1_000_000L) {
        if (!c.isValid((int) Math.max(1, Engine.LISTEN_HEALTH_CHECK_MILLIS / 1000))) {
          throw new SQLException("the LISTEN connection did not answer a health check", "08006");
        }
        lastHeard = now;
      }
      engine.doorbell.maintain();
    }
  }
}
