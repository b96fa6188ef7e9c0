package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.Operation;
import io.pgpubsub.StreamChange;
import io.pgpubsub.StreamChanges;
import io.pgpubsub.StreamConsumer;
import io.pgpubsub.StreamEvent;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.StreamReader;
import io.pgpubsub.Streams;
import io.pgpubsub.hibernate.model.Consignment;
import io.pgpubsub.hibernate.model.Reading;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * A stream channel ({@code @TriggerChannel(stream = true)}) through Hibernate: the boot installs the stream
 * tables and the generated trigger, entities written through Hibernate are read back in order as typed {@link
 * StreamChange}s (old and new entities decoded through Hibernate's mapping), by a page read, a subscription and a
 * named consumer; the annotation's retention reaches the registry and the reader.
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamChannelTest {

  private TestDatabase db;
  private SessionFactory sf;

  @BeforeAll
  void start(TestDatabase db) {
    this.db = db;
    sf = TestHibernate.build(db, Map.of(), Consignment.class, Reading.class);
  }

  @AfterAll
  void stop() {
    if (sf != null) {
      sf.close();
    }
  }

  private void write() {
    sf.inTransaction(
        s -> {
          HibernatePubSub.setContext(s, Map.of("user", "ann"));
          s.persist(new Consignment(1L, "NEW", new BigDecimal("2.50"), "pdf-1"));
          s.persist(new Consignment(2L, "NEW", new BigDecimal("10.00"), "pdf-2"));
        });
    sf.inTransaction(s -> s.find(Consignment.class, 1L).status = "SENT");
    sf.inTransaction(s -> s.remove(s.find(Consignment.class, 2L)));
  }

  @Test
  void entityChangesWrittenThroughHibernateAreReadBackTypedInOrder() throws Exception {
    write();
    StreamChanges<Consignment> parcels = HibernatePubSub.streamChanges(sf, Consignment.class);
    List<StreamEvent> events;
    try (Connection c = db.connect()) {
      events = Streams.create("public").read(c, "consignment", StreamPosition.BEGINNING, 100).events();
    }
    List<StreamChange<Consignment>> changes = new ArrayList<>();
    for (StreamEvent e : events) {
      changes.add(parcels.decode(e));
    }
    assertThat(changes).extracting(StreamChange::op)
        .containsExactly(Operation.INSERT, Operation.INSERT, Operation.UPDATE, Operation.DELETE);
    StreamChange<Consignment> first = changes.get(0);
    assertThat(first.oldEntity()).isNull();
    assertThat(first.newEntity().id).isEqualTo(1L);
    assertThat(first.newEntity().status).isEqualTo("NEW");
    assertThat(first.newEntity().weightKg).isEqualTo(new BigDecimal("2.50")); // scale kept
    assertThat(first.newEntity().labelPdf).as("excluded column").isNull();
    assertThat(first.context()).isEqualTo(Map.of("user", "ann"));
    StreamChange<Consignment> update = changes.get(2);
    assertThat(update.oldEntity().status).isEqualTo("NEW");
    assertThat(update.newEntity().status).isEqualTo("SENT");
    assertThat(update.context()).isEmpty();
    StreamChange<Consignment> delete = changes.get(3);
    assertThat(delete.oldEntity().id).isEqualTo(2L);
    assertThat(delete.newEntity()).isNull();
    for (int i = 1; i < changes.size(); i++) {
      assertThat(changes.get(i).position()).isGreaterThan(changes.get(i - 1).position());
    }

    // a subscription through the reader HibernatePubSub builds, decoded the same way
    List<StreamChange<Consignment>> live = new CopyOnWriteArrayList<>();
    try (StreamReader reader = HibernatePubSub.streamReader(sf, Consignment.class).start()) {
      reader.subscribe(events.get(1).position(), e -> live.add(parcels.decode(e)));
      await("the two changes after the second insert", () -> live.size() >= 2);
      sf.inTransaction(s -> s.persist(new Consignment(3L, "NEW", BigDecimal.ONE, null)));
      await("the live insert", () -> live.size() >= 3);
    }
    assertThat(live).extracting(StreamChange::op)
        .containsExactly(Operation.UPDATE, Operation.DELETE, Operation.INSERT);
    assertThat(live.get(2).newEntity().id).isEqualTo(3L);

    // a named consumer: its effect table and its position commit together
    db.execute("CREATE TABLE IF NOT EXISTS parcel_status_log (id bigint, status text, op text)");
    try (StreamConsumer consumer =
        HibernatePubSub.streamConsumer(sf, Consignment.class, "status-log")
            .handler(
                (tx, batch) -> {
                  try (PreparedStatement ps =
                      tx.prepareStatement("INSERT INTO parcel_status_log VALUES (?, ?, ?)")) {
                    for (StreamEvent e : batch) {
                      StreamChange<Consignment> ch = parcels.decode(e);
                      Consignment p = ch.newEntity() != null ? ch.newEntity() : ch.oldEntity();
                      ps.setLong(1, p.id);
                      ps.setString(2, p.status);
                      ps.setString(3, ch.op().name());
                      ps.executeUpdate();
                    }
                  }
                })
            .start()) {
      await("the consumer logged all five", () -> count("SELECT count(*) FROM parcel_status_log") >= 5);
    }
    assertThat(count("SELECT count(*) FROM parcel_status_log")).isEqualTo(5);
    assertThat(count("SELECT count(*) FROM parcel_status_log WHERE op = 'UPDATE' AND status = 'SENT'"))
        .isEqualTo(1);
  }

  @Test
  void theAnnotationsRetentionReachesTheRegistry() {
    ChannelDefinition parcel = HibernatePubSub.streamChanges(sf, Consignment.class).channel();
    assertThat(parcel.isStream()).isTrue();
    assertThat(parcel.stream().retain()).isEqualTo(Duration.ofDays(1));
    assertThat(parcel.stream().retainCount()).isEqualTo(10_000);
    assertThat(parcel.listeners()).isEmpty();
    assertThatThrownBy(() -> HibernatePubSub.streamChanges(sf, Reading.class))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("channel 'reading' of " + Reading.class.getName() + " is not a stream channel");
  }

  /** Validate mode names the missing stream tables (the stream trigger would fail every write); create fixes it. */
  @Test
  void validateNeedsTheStreamTablesAndCreateInstallsThem() throws Exception {
    try (TestDatabase other = io.pgpubsub.testing.PostgresServer.get().createDatabase("stream_validate")) {
      java.util.function.Function<String, SessionFactory> boot =
          mode -> TestHibernate.build(
              other,
              Map.of(PubSubSettings.SCHEMA_MANAGEMENT, mode, org.hibernate.cfg.AvailableSettings.HBM2DDL_AUTO, "update"),
              Consignment.class);
      try (Connection c = other.connect()) {
        io.pgpubsub.NotificationTable.install(c, "public"); // the notification table is there, the stream tables not
      }
      assertThatThrownBy(() -> boot.apply("validate"))
          .isInstanceOf(PubSubBootException.class)
          .hasMessageContaining("table public.pgpubsub_stream_event does not exist, and the triggers of the stream"
              + " channels [consignment] append to the stream tables")
          .hasMessageContaining("trigger pgpubsub_consignment is missing on table consignment");
      boot.apply("create").close();
      boot.apply("validate").close();
      other.execute("insert into consignment(id, status) values (9, 'NEW')");
      try (Connection c = other.connect()) {
        assertThat(Streams.create("public").read(c, "consignment", StreamPosition.BEGINNING, 10).events()).hasSize(1);
      }
    }
  }

  private long count(String sql) {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }
}
