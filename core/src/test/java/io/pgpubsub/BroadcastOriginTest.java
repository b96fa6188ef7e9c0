package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, item 7, broadcast side: a broadcast event travels in a NOTIFY, which anyone in the database can
 * send. It is decoded as the channel's entity only when it comes from that entity's schema, table and mapping
 * version; otherwise it is stored dead with an error naming both origins. A same-named channel of an
 * installation in another schema never reaches this listener at all (NOTIFY names are scoped by schema).
 */
@PostgresTest
@Timeout(60)
class BroadcastOriginTest {

  private static final String OURS =
      "{\"op\":\"INSERT\",\"schema\":null,\"table\":\"quote\",\"old\":null,\"new\":{\"id\":1,\"text\":\"%s\"},"
          + "\"context\":{},\"v\":\"%s\"}";

  @Test
  void aBroadcastFromAnotherTableOrMappingVersionIsNeverDecodedAsTheEntity(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("CREATE SCHEMA IF NOT EXISTS other");
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "other");
    }
    List<String> ours = new CopyOnWriteArrayList<>();
    List<String> theirs = new CopyOnWriteArrayList<>();
    try (Listener listener = Fixtures.listener(db, quotes(ours)).build().start();
        Listener other = Fixtures.listener(db, quotes(theirs)).schema("other").build().start();
        Connection sender = db.connect();
        PreparedStatement notify = sender.prepareStatement("SELECT pg_notify(?, ?)")) {
      send(notify, "quotes", String.format(OURS, "ours", "v1"));
      send(notify, "quotes", String.format(OURS, "other table", "v1").replace("\"quote\"", "\"quote_archive\""));
      send(notify, "quotes", String.format(OURS, "other schema", "v1").replace("\"schema\":null", "\"schema\":\"legacy\""));
      send(notify, "quotes", String.format(OURS, "other version", "v0"));
      send(notify, "other:quotes", String.format(OURS, "for the other installation", "v1"));
      await(Duration.ofSeconds(20), "three dead broadcast events", () -> listener.deadLetters().count("quotes") == 3);
      await(Duration.ofSeconds(20), "the other installation's event", () -> theirs.size() == 1);
      await(Duration.ofSeconds(20), "ours", () -> ours.size() == 1);
      assertThat(ours).containsExactly("ours");
      assertThat(theirs).containsExactly("for the other installation");
      List<DeadLetter> dead = listener.deadLetters().list("quotes", 10);
      assertThat(dead)
          .extracting(DeadLetter::lastError)
          .anySatisfy(e -> assertThat(e).contains("table quote_archive with mapping version v1").contains("maps table quote with mapping version v1"))
          .anySatisfy(e -> assertThat(e).contains("table legacy.quote"))
          .anySatisfy(e -> assertThat(e).contains("table quote with mapping version v0"));
    }
  }

  private static void send(PreparedStatement notify, String name, String payload) throws Exception {
    notify.setString(1, name);
    notify.setString(2, payload);
    notify.executeQuery().close();
  }

  private static ChannelDefinition quotes(List<String> received) {
    ListenerDefinition l =
        new ListenerDefinition(
            "BroadcastOriginTest#on(Quote)",
            ListenerKind.POST_INSERT,
            BroadcastOriginTest.class,
            true,
            (t, inv) -> received.add(inv.newValue(ObjectNode.class).get("text").asText()));
    return new ChannelDefinition(
        "quotes", ObjectNode.class, true, false, true, null, "quote", Set.of(Operation.INSERT), "v1", null, List.of(l));
  }
}
