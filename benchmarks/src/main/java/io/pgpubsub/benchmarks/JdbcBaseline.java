package io.pgpubsub.benchmarks;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
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
 * ... WHERE id = ANY(ARRAY(SELECT ... ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED)) RETURNING payload}),
 * parses every payload into the entity (Jackson, one streaming pass; the old row, the context and the rest
 * are skipped), calls the same callback, and commits. A 1 s poll covers missed wake-ups, as in the library. No retries, no dead letters, no metrics; it holds the
 * channel's "idle" lock for as long as it runs, so writers always send their NOTIFY.
 */
final class JdbcBaseline implements Consumer {

  /**
   * {@code id = ANY(ARRAY(subquery))} rather than {@code id IN (subquery)}: the ids become an InitPlan, so
   * every plan (custom or generic, small or large table) deletes by primary key; with {@code IN}, PostgreSQL's
   * generic plan for a prepared statement is a hash semi-join over a sequential scan of the whole table.
   */
  static final String CLAIM =
      "DELETE FROM public.pgpubsub_notification WHERE id = ANY(ARRAY("
          + "SELECT id FROM public.pgpubsub_notification WHERE channel = ? AND dead_at IS NULL"
          + " ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED)) RETURNING id, payload";

  private final String jdbcUrl;
  private final BenchListeners callbacks;
  private final int workers;
  private final int batchSize;
  /** The parts of a payload the callback needs, read in one streaming pass (the rest is skipped). */
  public static final class Envelope {
    public String op;

    @JsonProperty("new")
    public BenchEvent row;
  }

  private final ObjectReader envelopes =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .readerFor(Envelope.class);
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
      // The generated trigger skips its NOTIFY unless a listener holds the channel's "idle" lock. The baseline
      // takes no part in that protocol: it holds "idle" for as long as it runs, so every writer NOTIFYs, as
      // a trigger without the protocol would (without this it would only ever wake up by its 1 s poll).
      for (String idle : BenchDatabase.idleLocks()) {
        s.execute(idle);
      }
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
        Envelope payload = envelopes.readValue(rs.getString(2));
        if ("INSERT".equals(payload.op)) {
          callbacks.onInsert(payload.row);
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
