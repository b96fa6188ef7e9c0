package io.pgpubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Typed stream events without Hibernate ({@link StreamChanges} over the {@code RowDecoder} SPI), the retention a
 * stream channel declares, and where stream channels meet the rest of core ({@link Schema#script}, {@link
 * Listener}).
 */
@PostgresTest
@Timeout(60)
class StreamChangesTest {

  /** A row of table {@code parcel}, as Jackson's snake_case decoder maps it. */
  public record Parcel(long id, String status, BigDecimal weightKg) {}

  public record Placed(long order) {}

  private final TestDatabase db;
  private final Streams streams = Streams.create("public");

  StreamChangesTest(TestDatabase db) {
    this.db = db;
  }

  static ChannelDefinition parcelChannel(ChannelDefinition.StreamOptions options) {
    return new ChannelDefinition(
        "parcel", Parcel.class, true, true, true, null, "parcel",
        Set.of(Operation.INSERT, Operation.UPDATE, Operation.DELETE), "v1", null, List.of(), null, false,
        DeadKeyPolicy.MOVE_ON, options);
  }

  @Test
  void capturedChangesDecodeIntoTypedOldAndNewInPositionOrder() throws Exception {
    db.execute("create table parcel(id bigint primary key, status text, weight_kg numeric(10,2))");
    try (Connection c = db.connect()) {
      streams.install(c);
      db.execute("delete from pgpubsub_stream_event; delete from pgpubsub_stream"); // the other tests' events
      streams.capture(c, "public.parcel", "parcel");
      c.setAutoCommit(false);
      NotificationContext.set(c, Map.of("user", "ann"));
      try (var s = c.createStatement()) {
        s.execute("insert into parcel values (1, 'NEW', 2.50)");
        s.execute("update parcel set status = 'SENT'");
        s.execute("delete from parcel");
      }
      c.commit();
      c.setAutoCommit(true);
      streams.append(c, "parcel", new Placed(7)); // not a change of a table
      List<StreamEvent> events = streams.read(c, "parcel", StreamPosition.BEGINNING, 10).events();
      StreamChanges<Parcel> parcels =
          StreamChanges.jackson(parcelChannel(new ChannelDefinition.StreamOptions(null, 0)), Parcel.class, new ObjectMapper());
      List<StreamChange<Parcel>> changes = new ArrayList<>();
      for (StreamEvent e : events.subList(0, 3)) {
        changes.add(parcels.decode(e));
      }
      assertThat(changes).extracting(StreamChange::op).containsExactly(Operation.INSERT, Operation.UPDATE, Operation.DELETE);
      assertThat(changes.get(0).oldEntity()).isNull();
      assertThat(changes.get(0).newEntity()).isEqualTo(new Parcel(1, "NEW", new BigDecimal("2.50")));
      assertThat(changes.get(1).oldEntity().status()).isEqualTo("NEW");
      assertThat(changes.get(1).newEntity().status()).isEqualTo("SENT");
      assertThat(changes.get(2).newEntity()).isNull();
      assertThat(changes.get(2).oldEntity().id()).isEqualTo(1);
      assertThat(changes).allSatisfy(ch -> assertThat(ch.context()).isEqualTo(Map.of("user", "ann")));
      assertThat(changes.get(0).position()).isLessThan(changes.get(1).position());
      assertThat(changes.get(0).stream()).isEqualTo("parcel");
      StreamEvent appended = events.get(3);
      assertThat(appended.payloadAs(Placed.class)).isEqualTo(new Placed(7)); // records for plain streams
      assertThatThrownBy(() -> parcels.decode(appended))
          .isInstanceOf(DecodeException.class)
          .hasMessageContaining("stream 'parcel', event " + appended.position())
          .hasMessageContaining("payloadAs");
    }
  }

  @Test
  void theDeclaredRetentionPrunes() throws Exception {
    try (Connection c = db.connect()) {
      streams.install(c);
      for (int i = 0; i < 5; i++) {
        streams.append(c, "parcel", new Placed(i));
      }
      assertThat(streams.prune(c, parcelChannel(new ChannelDefinition.StreamOptions(null, 0)))).as("keep all").isZero();
      assertThat(streams.prune(c, parcelChannel(new ChannelDefinition.StreamOptions(Duration.ofDays(7), 2)))).isEqualTo(3);
      assertThat(streams.read(c, "parcel", streams.tail(c, "parcel"), 10).events()).isEmpty();
    }
    ChannelDefinition plain =
        new ChannelDefinition("plain", Placed.class, false, true, true, null, null, Set.of(), "v", null, List.of());
    assertThatThrownBy(() -> StreamReader.builder(db.dataSource(), "plain").retention(plain))
        .hasMessageContaining("channel 'plain' is not a stream channel");
  }

  @Test
  void schemaScriptCarriesTheStreamTablesOnlyWithAStreamChannel() {
    ChannelDefinition plain =
        new ChannelDefinition("plain", Placed.class, false, true, true, null, null, Set.of(), "v", null, List.of());
    assertThat(Schema.script("public", List.of(plain))).doesNotContain("pgpubsub_stream_event");
    ChannelDefinition stream = parcelChannel(new ChannelDefinition.StreamOptions(null, 0));
    assertThat(Schema.script("public", List.of(plain, stream))).contains(Streams.ddl("public"));
    assertThatThrownBy(
            () -> Listener.builder().jdbcUrl(db.jdbcUrl()).channelDefinitions(List.of(stream)).channels("parcel").build())
        .hasMessageContaining("channel 'parcel' is a stream channel (@TriggerChannel(stream = true)): a Listener does not"
            + " serve it");
  }
}
