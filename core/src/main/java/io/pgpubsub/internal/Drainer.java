package io.pgpubsub.internal;

import io.pgpubsub.DrainResult;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link io.pgpubsub.Listener#drain} and {@link io.pgpubsub.Listener#awaitIdle}: waits until the listener's
 * channels hold no notification (up to a snapshot of the largest id, or none at all) that is not dead, then
 * until every batch that was running by then has finished counting, so that the returned counts are exact for
 * this listener: what it did since it started or since the previous drain returned.
 *
 * <p>A row being processed is still visible to other sessions until its batch commits (the claiming DELETE is
 * not committed), so "no row left" is only seen after the commit; the counters are updated right after the
 * commit, before the batch's ticket is returned, hence the second wait.
 */
final class Drainer {

  private final Engine engine;
  private final String pending;
  private final String maxId;

  Drainer(Engine engine) {
    this.engine = engine;
    String filter = engine.config.payloadFilter() != null ? " AND payload @> ?::jsonb" : "";
    String where = " WHERE channel = ANY(?) AND dead_at IS NULL AND id > ?" + filter;
    this.pending =
        "SELECT count(*), count(*) FILTER (WHERE next_attempt_at IS NULL OR next_attempt_at <= now()) FROM "
            + engine.sql.table
            + where
            + " AND id <= ?";
    this.maxId = "SELECT coalesce(max(id), 0) FROM " + engine.sql.table + where;
  }

  DrainResult drain(Duration timeout, boolean untilIdle) {
    if (!engine.running()) {
      throw new IllegalStateException("listener '" + engine.name + "' is not running");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      long upTo = untilIdle ? Long.MAX_VALUE : query(maxId, Long.MAX_VALUE)[0];
      engine.waiter.wakeAll();
      long pause = TimeUnit.MILLISECONDS.toNanos(5);
      while (true) {
        long[] left = query(pending, upTo);
        if (left[0] == 0) {
          awaitBatchesUpTo(engine.batchTickets(), deadline, timeout);
          return engine.counts.sinceLastDrain();
        }
        if (left[1] > 0) {
          engine.waiter.wake(); // ready rows: a worker looks now rather than at the next poll
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException(
              "listener '"
                  + engine.name
                  + "' did not drain within "
                  + timeout
                  + ": "
                  + left[0]
                  + " notification(s) of "
                  + engine.config.channelNames()
                  + " still waiting ("
                  + (left[0] - left[1])
                  + " of them for a retry delay)"
                  + (engine.pausedChannels().isEmpty()
                      ? ""
                      : "; paused (ChannelControl): " + engine.pausedChannels()));
        }
        if (!engine.running()) {
          throw new IllegalStateException("listener '" + engine.name + "' stopped before it drained");
        }
        LockSupport.parkNanos(pause);
        pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(50));
        if (Thread.interrupted()) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for listener '" + engine.name + "' to drain");
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("listener '" + engine.name + "' cannot check its backlog: " + e.getMessage(), e);
    }
  }

  private void awaitBatchesUpTo(long ticket, long deadline, Duration timeout) {
    while (!engine.batchesFinishedUpTo(ticket)) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(
            "listener '" + engine.name + "' did not drain within " + timeout + ": a batch is still running");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  private long[] query(String sql, long upTo) throws SQLException {
    try (Connection c = engine.pool.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      int p = 1;
      ps.setArray(p++, c.createArrayOf("text", engine.config.channelNames().toArray()));
      ps.setLong(p++, engine.watermark(c));
      if (engine.config.payloadFilter() != null) {
        ps.setString(p++, engine.config.payloadFilter());
      }
      if (sql == pending) {
        ps.setLong(p, upTo);
      }
      long[] out;
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        out = sql == pending ? new long[] {rs.getLong(1), rs.getLong(2)} : new long[] {rs.getLong(1)};
      }
      if (!c.getAutoCommit()) {
        c.rollback(); // the pool's connections are not in autocommit; end the read-only transaction
      }
      return out;
    }
  }
}
