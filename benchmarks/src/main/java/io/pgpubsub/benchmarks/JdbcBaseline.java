package io.pgpubsub.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The baseline: the same job written by hand on plain JDBC, the fastest correct simple thing. One LISTEN
 * connection wakes {@code workers} threads; each claims and removes a batch in one statement ({@code DELETE
 * ... WHERE id IN (SELECT ... ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED) RETURNING payload}), parses every
 * payload into the entity (Jackson, as the library's default decoder does), calls the same callback, and
 * commits. A 1 s poll covers missed wake-ups, as in the library. No retries, no dead letters, no metrics.
 */
final class JdbcBaseline implements Consumer {

  static final String CLAIM =
      "DELETE FROM public.pgpubsub_notification WHERE id IN ("
          + "SELECT id FROM public.pgpubsub_notification WHERE channel = ? AND dead_at IS NULL"
          + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED) RETURNING id, payload";

  private final String jdbcUrl;
  private final BenchListeners callbacks;
  private final int workers;
  private final int batchSize;
  private final ObjectMapper mapper =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition woken = lock.newCondition();
  private long generation;
  private volatile boolean stopping;
  private final List<Thread> threads = new ArrayList<>();
  private final List<Connection> connections = new ArrayList<>();

  JdbcBaseline(String jdbcUrl, BenchListeners callbacks, int workers, int batchSize) {
    this.jdbcUrl = jdbcUrl;
    this.callbacks = callbacks;
    this.workers = workers;
    this.batchSize = batchSize;
  }

  @Override
  public void start() throws SQLException {
    Connection listen = DriverManager.getConnection(jdbcUrl);
    connections.add(listen);
    try (Statement s = listen.createStatement()) {
      s.execute("LISTEN \"" + BenchEvent.CHANNEL + "\"");
    }
    threads.add(new Thread(() -> listen(listen), "baseline-listener"));
    for (int i = 0; i < workers; i++) {
      Connection c = DriverManager.getConnection(jdbcUrl);
      c.setAutoCommit(false);
      connections.add(c);
      threads.add(new Thread(() -> work(c), "baseline-worker-" + i));
    }
    for (Thread t : threads) {
      t.setDaemon(true);
      t.start();
    }
  }

  private void listen(Connection c) {
    try {
      PGConnection pg = c.unwrap(PGConnection.class);
      while (!stopping) {
        PGNotification[] ns = pg.getNotifications(500);
        if (ns != null && ns.length > 0) {
          wake();
        }
      }
    } catch (SQLException e) {
      if (!stopping) {
        throw new IllegalStateException("baseline LISTEN connection failed", e);
      }
    }
  }

  private void wake() {
    lock.lock();
    try {
      generation++;
      woken.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void work(Connection c) {
    try (PreparedStatement claim = c.prepareStatement(CLAIM)) {
      claim.setString(1, BenchEvent.CHANNEL);
      claim.setInt(2, batchSize);
      while (!stopping) {
        long seen;
        lock.lock();
        try {
          seen = generation;
        } finally {
          lock.unlock();
        }
        while (!stopping && claimBatch(c, claim) == batchSize) {
          // a full batch: there may be more
        }
        lock.lock();
        try {
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
          while (!stopping && generation == seen) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
              break;
            }
            woken.awaitNanos(left);
          }
        } finally {
          lock.unlock();
        }
      }
    } catch (Exception e) {
      if (!stopping) {
        throw new IllegalStateException("baseline worker failed", e);
      }
    }
  }

  private int claimBatch(Connection c, PreparedStatement claim) throws Exception {
    int n = 0;
    try (ResultSet rs = claim.executeQuery()) {
      while (rs.next()) {
        JsonNode payload = mapper.readTree(rs.getString(2));
        if ("INSERT".equals(payload.get("op").asText())) {
          callbacks.onInsert(mapper.treeToValue(payload.get("new"), BenchEvent.class));
        }
        n++;
      }
    }
    c.commit();
    return n;
  }

  @Override
  public void close() {
    stopping = true;
    wake();
    for (Thread t : threads) {
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (Connection c : connections) {
      try {
        c.close();
      } catch (SQLException e) {
        // closing anyway
      }
    }
  }
}
