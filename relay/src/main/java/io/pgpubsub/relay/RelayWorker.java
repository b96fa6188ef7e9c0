package io.pgpubsub.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.internal.Backoff;
import io.pgpubsub.internal.Sql;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One relay worker: claims a batch of key heads, publishes them all, waits for every confirmation, then commits
 * the removal of the confirmed ones and puts the others back (dead when refused, for a later attempt otherwise),
 * in the claim's transaction. See {@link Relay} for why this keeps per-key order.
 */
final class RelayWorker implements Runnable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ERROR_CHARS = 32_000;

  /** A claimed notification. */
  record Row(long id, String payload, int attempts, Instant createdAt, String key) {}

  private final Relay relay;
  private final int index;
  /** The channel as a {@code text[]} literal (bound as an untyped parameter; the claim casts it). */
  private final String orderedChannels;
  private final String blocking;
  private final Backoff backoff;

  RelayWorker(Relay relay, int index) {
    this.relay = relay;
    this.index = index;
    this.orderedChannels = "{\"" + relay.channel.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    this.blocking = relay.deadKeyPolicy == DeadKeyPolicy.BLOCK ? orderedChannels : "{}";
    this.backoff = new Backoff(relay.backoffInitial, relay.backoffMax);
  }

  @Override
  public void run() {
    Backoff dbBackoff = new Backoff(relay.backoffInitial, relay.backoffMax);
    while (!relay.stopping()) {
      try {
        boolean allFailed = drain();
        dbBackoff.reset();
        if (allFailed) {
          long delay = backoff.nextDelayMillis();
          Relay.log.warn("[{}] worker {}: every message of the last batch failed; claiming again in {} ms",
              relay.name, index, delay);
          sleep(delay);
        } else {
          relay.awaitWork(relay.pollInterval.toMillis());
        }
      } catch (InterruptedException e) {
        if (relay.stopping()) {
          break;
        }
      } catch (Throwable t) {
        if (relay.stopping()) {
          break;
        }
        long delay = dbBackoff.nextDelayMillis();
        Relay.log.warn("[{}] worker {} failed ({} in a row), retrying in {} ms: {}", relay.name, index,
            dbBackoff.failures(), delay, t.toString(), dbBackoff.failures() == 1 ? t : null);
        try {
          sleep(delay);
        } catch (InterruptedException e) {
          break;
        }
      }
    }
  }

  private void sleep(long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!relay.stopping()) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return;
      }
      Thread.sleep(Math.min(left, 100));
    }
  }

  /**
   * Claims and publishes batches until a claim finds nothing.
   *
   * @return true when the last batch published nothing because every message failed transiently
   */
  private boolean drain() throws Exception {
    try (Connection c = relay.dataSource().getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement window = c.prepareStatement(relay.sql.orderedWindowClaimBatch);
          PreparedStatement every = c.prepareStatement(relay.sql.orderedClaimBatch)) {
        boolean everyRow = false;
        while (!relay.stopping()) {
          List<Row> rows = claim(c, everyRow ? every : window, everyRow);
          boolean windowed = !everyRow;
          everyRow = windowed && rows.size() < relay.batchSize;
          if (rows.isEmpty()) {
            c.commit();
            if (windowed) {
              continue; // a short windowed claim: look at every row once before sleeping
            }
            return false;
          }
          Outcome outcome = publish(c, rows);
          c.commit();
          outcome.afterCommit();
          if (outcome.confirmed == 0 && outcome.retried > 0) {
            return true;
          }
          if (outcome.retried == 0) {
            backoff.reset();
          }
          if (rows.size() == relay.batchSize || outcome.confirmed > 0) {
            // a full batch: let another worker help; a committed batch: its keys' next notifications are heads
            // now, and workers that found every head taken sleep until woken
            relay.wakeAll();
          }
        }
        return false;
      } finally {
        if (!c.isClosed() && !c.getAutoCommit()) {
          try {
            c.rollback();
          } catch (SQLException e) {
            // a broken connection: the pool evicts it, the rows are back in the table
          }
        }
      }
    }
  }

  private List<Row> claim(Connection c, PreparedStatement statement, boolean everyRow) throws SQLException {
    int p = 1;
    statement.setObject(p++, "{}", Types.OTHER); // no unordered channels
    statement.setLong(p++, 0);
    statement.setInt(p++, relay.batchSize);
    statement.setInt(p++, relay.batchSize);
    statement.setObject(p++, orderedChannels, Types.OTHER);
    if (!everyRow) {
      statement.setInt(p++, WINDOW * relay.batchSize);
    }
    statement.setObject(p++, blocking, Types.OTHER);
    statement.setLong(p++, 0);
    statement.setInt(p, relay.batchSize);
    statement.execute();
    if (!statement.getMoreResults()) {
      throw new IllegalStateException("the claim statement list returned no claimed rows");
    }
    List<Row> rows = new ArrayList<>();
    try (ResultSet rs = statement.getResultSet()) {
      while (rs.next()) {
        long micros = rs.getLong(5);
        Instant created =
            Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        rows.add(new Row(rs.getLong(1), rs.getString(3), rs.getInt(4), created, rs.getString(6)));
      }
    }
    rows.sort((a, b) -> Long.compare(a.id, b.id));
    return rows;
  }

  /**
   * The windowed claim looks for key heads among this many batches' worth of the oldest rows (sorted on every
   * claim), before a short claim falls back to every row. RelayProbe on a quiet machine (20,000 messages over
   * 1,000 keys, 4 workers, batches of 500): 3 gave the relay 6,492 msg/s to RabbitMQ and 16,588 to NATS against
   * 5,467 and 13,764 with 10 (the value of the listener's claim, whose batches are 100).
   */
  private static final int WINDOW = 3;

  /** What a batch did, and what to count once it committed. */
  private final class Outcome {
    int confirmed;
    int retried;
    final List<String> deadLines = new ArrayList<>();
    long retryDelay;
    String firstTransient;

    void afterCommit() {
      relay.published.addAndGet(confirmed);
      relay.dead.addAndGet(deadLines.size());
      relay.transientFailures.addAndGet(retried);
      for (String line : deadLines) {
        Relay.log.error("[{}] {}", relay.name, line);
      }
      if (retried > 0) {
        Relay.log.warn("[{}] {} message(s) of channel '{}' not confirmed by {}; next attempt in {} ms: {}",
            relay.name, retried, relay.channel, relay.publisher.target(), retryDelay, firstTransient);
      }
    }
  }

  /** Publishes the batch, waits for every confirmation, and records what failed; the caller commits. */
  private Outcome publish(Connection c, List<Row> rows) throws SQLException, InterruptedException {
    int n = rows.size();
    List<CompletableFuture<?>> futures = new ArrayList<>(n);
    List<Throwable> buildErrors = new ArrayList<>(n);
    for (Row row : rows) {
      RelayMessage m;
      try {
        m = message(row);
      } catch (RuntimeException e) {
        futures.add(CompletableFuture.failedFuture(new RelayRefusedException(
            "notification " + row.id + " of channel '" + relay.channel + "' cannot be read as a message: " + e, e)));
        buildErrors.add(e);
        continue;
      }
      CompletableFuture<?> f;
      try {
        f = relay.publisher.publish(m);
      } catch (Throwable t) {
        f = CompletableFuture.failedFuture(t);
      }
      futures.add(f);
    }
    long deadline = System.nanoTime() + relay.confirmTimeout.toNanos();
    Outcome out = new Outcome();
    long delay = -1;
    for (int i = 0; i < n; i++) {
      Row row = rows.get(i);
      Throwable failure = null;
      try {
        long left = deadline - System.nanoTime();
        futures.get(i).get(Math.max(0, left), TimeUnit.NANOSECONDS);
      } catch (ExecutionException e) {
        failure = e.getCause() != null ? e.getCause() : e;
      } catch (TimeoutException e) {
        failure = new TimeoutException(
            relay.publisher.target() + " did not confirm within " + relay.confirmTimeout.toMillis() + " ms");
      } catch (java.util.concurrent.CancellationException e) {
        failure = e;
      }
      if (failure == null) {
        out.confirmed++;
        continue;
      }
      RelayRefusedException refused = refused(failure);
      if (refused != null) {
        String error = describe(refused);
        restore(c, relay.sql.restoreDead, row, row.attempts + 1, error, -1);
        out.deadLines.add("notification " + row.id + " of channel '" + relay.channel + "' (key '" + row.key
            + "') is dead: " + relay.publisher.target() + " refused it: " + refused.getMessage()
            + "; it keeps its payload and error for DeadLetters (list/retry/purge)");
      } else {
        if (delay < 0) {
          delay = backoff.nextDelayMillis();
        }
        // the attempt count stays: a broker that is down must never make a message dead
        restore(c, relay.sql.restoreRetry, row, row.attempts, describe(failure), delay);
        out.retried++;
        if (out.firstTransient == null) {
          out.firstTransient = failure.toString();
        }
      }
    }
    out.retryDelay = delay;
    return out;
  }

  private static RelayRefusedException refused(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof RelayRefusedException r) {
        return r;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  /** Puts a claimed (deleted in this transaction) row back: {@link Sql#restoreRetry} or {@link Sql#restoreDead}. */
  private void restore(Connection c, String statement, Row row, int attempts, String error, long delay)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(statement)) {
      ps.setLong(1, row.id);
      ps.setString(2, relay.channel);
      ps.setString(3, row.payload);
      ps.setObject(4, OffsetDateTime.ofInstant(row.createdAt, ZoneOffset.UTC));
      ps.setString(5, row.key);
      ps.setInt(6, attempts);
      ps.setString(7, error);
      if (delay >= 0) {
        ps.setLong(8, delay);
      }
      ps.executeUpdate();
    }
  }

  /** The broker message of a claimed row: JSON of op/table/old/new/context plus id, channel, key and time. */
  RelayMessage message(Row row) {
    JsonNode payload;
    try {
      payload = JSON.readTree(row.payload);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("its payload is not JSON: " + e.getMessage(), e);
    }
    String op = text(payload, "op", "NOTIFY");
    JsonNode context = payload.path("context");
    String contextText = context.isMissingNode() || context.isNull() ? "{}" : context.toString();
    ObjectNode body = JSON.createObjectNode();
    body.put("id", row.id);
    body.put("channel", relay.channel);
    body.put("key", row.key);
    body.put("op", op);
    if (payload.has("table")) {
      body.set("table", payload.get("table"));
    }
    body.set("old", payload.has("old") ? payload.get("old") : JSON.nullNode());
    body.set("new", payload.has("new") ? payload.get("new") : JSON.nullNode());
    body.set("context", context.isMissingNode() ? JSON.createObjectNode() : context);
    body.put("time", row.createdAt.toString());
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    return new RelayMessage(row.id, relay.channel, row.key == null ? "" : row.key, op, row.createdAt, contextText,
        bytes);
  }

  private static String text(JsonNode node, String field, String otherwise) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? otherwise : v.asText();
  }

  static String describe(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    String s = w.toString().replace('\u0000', ' ');
    return s.length() > MAX_ERROR_CHARS ? s.substring(0, MAX_ERROR_CHARS) + "\n\t... (truncated)" : s;
  }
}
