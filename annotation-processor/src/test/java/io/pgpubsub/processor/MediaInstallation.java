package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.Listener;
import io.pgpubsub.Operation;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The good/plain fixture's channel "media" as a user gets it: its entity compiled with the processor, the
 * generated {@code META-INF/pgpubsub.sql} (notification table and trigger) installed in a schema of the test
 * database, and real listeners on it. Writers are plain SQL INSERTs, so every wake-up a listener gets comes
 * from the generated trigger (or from another listener process), never from test code.
 */
final class MediaInstallation {

  /** A listener's callback for one row of media, as the trigger stored it. */
  @FunctionalInterface
  interface RowCallback {
    void on(ObjectNode row) throws Exception;
  }

  private MediaInstallation() {}

  /** Creates {@code schema} with a media table, and runs the processor's script for that schema in it. */
  static void install(TestDatabase db, String schema) throws SQLException {
    String script =
        Fixtures.generated(Fixtures.compileOk("good/plain", Map.of("pgpubsub.schema", schema)), "META-INF/pgpubsub.sql");
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
      s.execute("SET search_path TO " + schema); // the trigger goes on this schema's media table
      s.execute(
          "CREATE TABLE media (id bigint PRIMARY KEY, title text, status_code text, content text, createdat timestamptz)");
      s.execute(script);
    }
  }

  /**
   * A listener process of {@code schema}'s media channel: one worker, polling once an hour (so that only a
   * NOTIFY, or a scan the wake-up protocol guarantees, delivers a row), calling {@code callback} for every
   * row saved.
   */
  static Listener.Builder listener(TestDatabase db, String schema, String name, RowCallback callback) {
    ListenerDefinition onSave =
        new ListenerDefinition(
            "MediaInstallation#on(Media)",
            ListenerKind.POST_SAVE,
            MediaInstallation.class,
            true,
            (target, inv) -> callback.on(inv.newValue(ObjectNode.class)));
    ChannelDefinition media =
        new ChannelDefinition(
            "media",
            ObjectNode.class,
            true,
            true,
            true,
            null,
            "media",
            Set.of(Operation.INSERT, Operation.UPDATE, Operation.DELETE),
            "test",
            null,
            List.of(onSave));
    return Listener.builder()
        .name(name)
        .jdbcUrl(db.jdbcUrl())
        .user(db.user())
        .password(db.password())
        .schema(schema)
        .channelDefinitions(List.of(media))
        .workers(1)
        .pollInterval(Duration.ofHours(1))
        .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500));
  }

  /** A plain INSERT into {@code schema}'s media table: the generated trigger stores the row and may wake listeners. */
  static void insert(Connection c, String schema, long id, String title) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + ".media (id, title) VALUES (?, ?)")) {
      ps.setLong(1, id);
      ps.setString(2, title);
      ps.executeUpdate();
    }
  }

  /** Waits until some listener of {@code schema}'s media channel is idle: its doorbell connection holds IDLE. */
  static void awaitIdle(TestDatabase db, String schema) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = ?::oid"
                    + " AND objid = ?::oid")) {
      ps.setLong(1, ChannelNames.IDLE_LOCK & 0xffffffffL);
      ps.setLong(2, ChannelNames.lockKey(schema, "media") & 0xffffffffL);
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getLong(1) > 0) {
            return;
          }
        }
        assertThat(System.nanoTime()).as("the listener idle").isLessThan(deadline);
        Thread.sleep(5);
      }
    }
  }
}
