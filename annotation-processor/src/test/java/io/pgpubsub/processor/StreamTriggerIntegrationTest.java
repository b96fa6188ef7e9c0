package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.NotificationContext;
import io.pgpubsub.StreamEvent;
import io.pgpubsub.StreamPage;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.Streams;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The generated trigger of stream channels ({@code @TriggerChannel(stream = true)}) on a real PostgreSQL: it
 * appends each change to the stream of the channel's name inside the writer's transaction, with the payload of
 * a lockable channel (operations, watchColumns and excludeColumns honoured), wakes the stream's readers on the
 * name core's {@link Streams#notifyName} listens to, and its events are neither skipped nor repeated when the
 * writers commit out of order.
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class StreamTriggerIntegrationTest {

  private final TestDatabase db;
  private final Streams streams = Streams.create("public");
  private final ObjectMapper json = new ObjectMapper();

  StreamTriggerIntegrationTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  void install() {
    String script = Fixtures.generated(Fixtures.compileOk("good/stream"), "META-INF/pgpubsub.sql");
    db.execute(
        "CREATE TABLE shipment (id bigint PRIMARY KEY, status text, label_pdf text);"
            + "CREATE TABLE audit (id bigint PRIMARY KEY, what text)");
    db.execute(script); // the install script creates the stream tables too
    db.execute(script); // idempotent
  }

  @BeforeEach
  void clean() {
    db.execute("DELETE FROM shipment; DELETE FROM audit; DELETE FROM pgpubsub_stream_event");
  }

  private List<StreamEvent> all(String stream) throws SQLException {
    try (Connection c = db.connect()) {
      return streams.read(c, stream, StreamPosition.BEGINNING, 1000).events();
    }
  }

  /** The payload, operations, watchColumns and excludeColumns, the context, and nothing of a rollback. */
  @Test
  void theTriggerAppendsTheChangeAsALockableChannelStoresIt() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      NotificationContext.set(c, Map.of("user", "ann"));
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO shipment VALUES (1, 'NEW', 'big pdf')");
        s.execute("UPDATE shipment SET label_pdf = 'other pdf' WHERE id = 1"); // no watched column changed
        s.execute("UPDATE shipment SET status = 'SENT' WHERE id = 1");
        s.execute("DELETE FROM shipment WHERE id = 1"); // DELETE is not captured
      }
      c.commit();
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO shipment VALUES (2, 'NEW', 'x')");
      }
      c.rollback();
    }
    List<StreamEvent> events = all("shipment");
    assertThat(events).hasSize(2);
    JsonNode insert = json.readTree(events.get(0).payload());
    JsonNode update = json.readTree(events.get(1).payload());
    assertThat(insert.get("op").asText()).isEqualTo("INSERT");
    assertThat(insert.get("table").asText()).isEqualTo("shipment");
    assertThat(insert.get("old").isNull()).isTrue();
    assertThat(insert.get("new").toString()).isEqualTo("{\"id\":1,\"status\":\"NEW\"}"); // label_pdf excluded
    assertThat(insert.get("context").toString()).isEqualTo("{\"user\":\"ann\"}");
    assertThat(insert.get("v").asText()).isNotEmpty();
    assertThat(update.get("op").asText()).isEqualTo("UPDATE");
    assertThat(update.get("old").get("status").asText()).isEqualTo("NEW");
    assertThat(update.get("new").get("status").asText()).isEqualTo("SENT");
    assertThat(events.get(0).position()).isLessThan(events.get(1).position());
    assertThat(all("audit-log")).isEmpty();
  }

  /** The stream trigger's NOTIFY uses the name core's readers LISTEN to; pgNotify = false sends none. */
  @Test
  void theNotifyWakesTheStreamsReaders() throws Exception {
    try (Connection listen = db.connect();
        Connection writer = db.connect()) {
      try (Statement s = listen.createStatement()) {
        s.execute("LISTEN \"" + streams.notifyName("shipment") + "\"");
        s.execute("LISTEN \"" + streams.notifyName("audit-log") + "\"");
      }
      try (Statement s = writer.createStatement()) {
        s.execute("INSERT INTO audit VALUES (1, 'quiet')"); // committed first: its NOTIFY would come first
        s.execute("INSERT INTO shipment VALUES (1, 'NEW', null)");
      }
      PGNotification[] got = listen.unwrap(PGConnection.class).getNotifications(10_000);
      assertThat(got).isNotNull();
      assertThat(got).extracting(PGNotification::getName).containsExactly(streams.notifyName("shipment"));
      assertThat(all("audit-log")).hasSize(1);
    }
  }

  /**
   * T1 inserts through the generated trigger and stays open, T2 inserts and commits, then T1 commits, while a
   * reader polls the whole time: nothing past T1's event is readable while T1 is open, then the reader sees
   * both, once each, in position order.
   */
  @Test
  void outOfOrderCommitsThroughTheGeneratedTriggerAreNeitherSkippedNorRepeated() throws Exception {
    List<StreamEvent> seen = new CopyOnWriteArrayList<>();
    AtomicInteger polls = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              StreamPosition p = StreamPosition.BEGINNING;
              try (Connection c = db.connect()) {
                while (!stop.get()) {
                  StreamPage page = streams.read(c, "shipment", p, 100);
                  seen.addAll(page.events());
                  p = page.next();
                  polls.incrementAndGet();
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
              } catch (Throwable e) {
                failures.add(e);
              }
            });
    reader.start();
    try (Connection t1 = db.connect();
        Connection t2 = db.connect()) {
      t1.setAutoCommit(false);
      t2.setAutoCommit(false);
      try (Statement s = t1.createStatement()) {
        s.execute("INSERT INTO shipment VALUES (1, 'T1', null)");
      }
      try (Statement s = t2.createStatement()) {
        s.execute("INSERT INTO shipment VALUES (2, 'T2', null)");
      }
      t2.commit();
      int after = polls.get();
      await("20 polls after T2 committed", () -> polls.get() >= after + 20 || !failures.isEmpty());
      assertThat(seen).as("nothing is readable past T1's open event").isEmpty();
      t1.commit();
      await("both events", () -> seen.size() >= 2 || !failures.isEmpty());
      int settled = polls.get();
      await("20 more polls", () -> polls.get() >= settled + 20 || !failures.isEmpty());
    } finally {
      stop.set(true);
      reader.join(10_000);
    }
    assertThat(failures).isEmpty();
    List<String> statuses = new ArrayList<>();
    for (StreamEvent e : seen) {
      statuses.add(json.readTree(e.payload()).get("new").get("status").asText());
    }
    assertThat(statuses).containsExactly("T1", "T2");
    assertThat(seen.get(0).position()).isLessThan(seen.get(1).position());
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }
}
