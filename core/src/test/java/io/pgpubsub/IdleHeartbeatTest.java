package io.pgpubsub;

import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A listener that receives nothing and polls once an hour must still publish its heartbeat (every 10 s), or
 * {@code pgpubsub status} and the dashboard, which count a listener as live for 30 s after its last one, would
 * show it gone while it runs. Takes one heartbeat interval (about 10 s).
 */
@PostgresTest
@Timeout(60)
class IdleHeartbeatTest {

  public record Quiet(int n) {}

  @Test
  void anIdleListenerThatPollsOnceAnHourKeepsPublishingItsHeartbeat(TestDatabase db) throws Exception {
    Fixtures.install(db);
    ChannelDefinition channel = plain("idle_heartbeat", Quiet.class, true, plainListener("Quiet#on", (t, inv) -> {}));
    try (Listener listener =
        Fixtures.listener(db, channel).name("idle-heartbeat").pollInterval(Duration.ofHours(1)).build().start()) {
      Fixtures.await(Duration.ofSeconds(10), "the first heartbeat, published at start", () -> heartbeat(db) != null);
      Timestamp first = heartbeat(db);
      Fixtures.await(
          Duration.ofSeconds(30),
          "a second heartbeat about 10 s later, with nothing to process and an hourly poll",
          () -> heartbeat(db).after(first));
      assertThat(ChannelStatusReader.of(db.dataSource(), "public").read(java.util.List.of("idle_heartbeat")))
          .singleElement()
          .satisfies(
              s ->
                  assertThat(s.listeners())
                      .as("live listeners of the channel")
                      .singleElement()
                      .satisfies(l -> assertThat(l.name()).startsWith("idle-heartbeat@")));
    }
  }

  private static Timestamp heartbeat(TestDatabase db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "select max(heartbeat_at) from pgpubsub_listener_stats where listener like 'idle-heartbeat@%'")) {
      rs.next();
      return rs.getTimestamp(1);
    }
  }
}
