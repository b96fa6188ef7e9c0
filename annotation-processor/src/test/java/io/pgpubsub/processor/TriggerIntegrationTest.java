package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.testing.compile.Compilation;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.Notifications;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/** The generated DDL, applied to a real PostgreSQL: what the triggers store and notify. */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TriggerIntegrationTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final TestDatabase db;
  private String mediaInstall;
  private String quotesInstall;
  private String polledInstall;

  TriggerIntegrationTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  void install() {
    Compilation media = Fixtures.compileOk("good/plain");
    mediaInstall = Fixtures.generated(media, "META-INF/pgpubsub.sql");
    quotesInstall = Fixtures.generated(Fixtures.compileOk("good/broadcast"), "META-INF/pgpubsub.sql");
    polledInstall = Fixtures.generated(Fixtures.compileOk("good/polled"), "META-INF/pgpubsub.sql");
    db.execute(
        "CREATE TABLE media (id bigint PRIMARY KEY, title text, status_code text, content text,"
            + " createdat timestamptz);"
            + "CREATE TABLE quote (id bigint PRIMARY KEY, text text);"
            + "CREATE TABLE reading (id bigint PRIMARY KEY, value double precision)");
    db.execute(mediaInstall);
    db.execute(quotesInstall);
    db.execute(polledInstall);
  }

  @BeforeEach
  void clean() {
    db.execute(
        "DELETE FROM media; DELETE FROM quote; DELETE FROM reading; DELETE FROM pgpubsub_notification;"
            + " DELETE FROM pgpubsub_broadcast");
  }

  @Test
  void insertUpdateDeleteEachStoreOneRowWithOldNewOpAndContext() throws Exception {
    db.execute("INSERT INTO media (id, title, status_code, content) VALUES (1, 'a', 'new', 'big blob')");
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SELECT set_config('pgpubsub.notification_context', '{\"user\":\"alice\"}', true)");
        s.execute("UPDATE media SET title = 'b' WHERE id = 1");
      }
      c.commit();
    }
    db.execute("DELETE FROM media WHERE id = 1");

    List<JsonNode> rows = notifications("media");
    assertThat(rows).hasSize(3);
    JsonNode insert = rows.get(0);
    assertThat(insert.get("op").asText()).isEqualTo("INSERT");
    assertThat(insert.get("schema").isNull()).isTrue();
    assertThat(insert.get("table").asText()).isEqualTo("media");
    assertThat(insert.get("old").isNull()).isTrue();
    assertThat(insert.get("new").get("id").asLong()).isEqualTo(1);
    assertThat(insert.get("new").get("title").asText()).isEqualTo("a");
    assertThat(insert.get("new").get("status_code").asText()).isEqualTo("new");
    assertThat(insert.get("new").has("createdat")).isTrue();
    assertThat(insert.get("new").has("content")).as("excluded column").isFalse();
    assertThat(insert.get("context").toString()).isEqualTo("{}");
    assertThat(insert.get("v").asText()).matches("[0-9a-f]{8}");

    JsonNode update = rows.get(1);
    assertThat(update.get("op").asText()).isEqualTo("UPDATE");
    assertThat(update.get("old").get("title").asText()).isEqualTo("a");
    assertThat(update.get("new").get("title").asText()).isEqualTo("b");
    assertThat(update.get("old").has("content")).isFalse();
    assertThat(update.get("context").get("user").asText()).isEqualTo("alice");

    JsonNode delete = rows.get(2);
    assertThat(delete.get("op").asText()).isEqualTo("DELETE");
    assertThat(delete.get("old").get("title").asText()).isEqualTo("b");
    assertThat(delete.get("new").isNull()).isTrue();
    assertThat(delete.get("context").toString()).as("transaction-local context is gone").isEqualTo("{}");
  }

  @Test
  void rolledBackWritesStoreAndNotifyNothing() throws Exception {
    try (Connection listener = listen("media");
        Connection idle = idleListenerProcess("media");
        Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      try (Statement s = writer.createStatement()) {
        s.execute("INSERT INTO media (id, title) VALUES (2, 'never')");
        writer.rollback();
        s.execute("INSERT INTO media (id, title) VALUES (3, 'committed')");
        writer.commit();
      }
      List<String> payloads = Notifications.payloadsBeforeMarker(listener, writer, "media");
      assertThat(payloads).as("one wake-up, for the committed transaction only").containsExactly("");
    }
    List<JsonNode> rows = notifications("media");
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).get("new").get("title").asText()).isEqualTo("committed");
  }

  @Test
  void tenThousandRowsInOneTransactionGiveOneNotify() throws Exception {
    try (Connection listener = listen("media");
        Connection idle = idleListenerProcess("media");
        Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      try (Statement s = writer.createStatement()) {
        s.execute("INSERT INTO media (id, title) SELECT g, 'row ' || g FROM generate_series(1, 10000) g");
      }
      writer.commit();
      assertThat(Notifications.payloadsBeforeMarker(listener, writer, "media")).containsExactly("");
    }
    assertThat(count("SELECT count(*) FROM pgpubsub_notification WHERE channel = 'media'")).isEqualTo(10_000);
  }

  /**
   * The wake-up locks (see core's Doorbell): no NOTIFY while no listener process is idle (none present, which a
   * plain LISTEN connection like this test's is not, or all awake), a NOTIFY while one is idle (holds "idle" in
   * shared mode), and a NOTIFY while a listener checks (holds "check") even though none is idle. The row is
   * stored every time.
   */
  @Test
  void theNotifyIsSentOnlyWhileAListenerIsIdleOrChecking() throws Exception {
    int key = ChannelNames.lockKey("public", "media");
    String idle = ChannelNames.IDLE_LOCK + ", " + key;
    String check = ChannelNames.CHECK_LOCK + ", " + key;
    try (Connection listener = listen("media");
        Connection writer = db.connect();
        Connection listenerProcess = db.connect();
        Statement held = listenerProcess.createStatement();
        Statement w = writer.createStatement()) {
      w.execute("INSERT INTO media (id, title) VALUES (1, 'nobody listening')");
      assertThat(Notifications.payloadsBeforeMarker(listener, writer, "media")).as("NOTIFYs, no listener").isEmpty();

      held.execute("SELECT pg_advisory_lock_shared(" + idle + ")");
      w.execute("INSERT INTO media (id, title) VALUES (2, 'a listener idle')");
      assertThat(Notifications.payloadsBeforeMarker(listener, writer, "media")).as("NOTIFYs, idle").containsExactly("");

      held.execute("SELECT pg_advisory_unlock_shared(" + idle + ")"); // awake: draining, bound to look again
      w.execute("INSERT INTO media (id, title) VALUES (3, 'the listener awake')");
      assertThat(Notifications.payloadsBeforeMarker(listener, writer, "media")).as("NOTIFYs while awake").isEmpty();

      held.execute("SELECT pg_advisory_lock(" + check + ")");
      w.execute("INSERT INTO media (id, title) VALUES (4, 'while checking')");
      assertThat(Notifications.payloadsBeforeMarker(listener, writer, "media")).as("NOTIFYs while checking").containsExactly("");
      held.execute("SELECT pg_advisory_unlock(" + check + ")");
    }
    assertThat(notifications("media"))
        .extracting(n -> n.get("new").get("title").asText())
        .containsExactly("nobody listening", "a listener idle", "the listener awake", "while checking");
  }

  @Test
  void pgNotifyFalseStoresTheRowAndSendsNoNotify() throws Exception {
    assertThat(polledInstall).contains("pgpubsub_notify_reading").doesNotContain("pg_notify(");
    try (Connection listener = listen("reading");
        Connection writer = db.connect()) {
      try (Statement s = writer.createStatement()) {
        s.execute("INSERT INTO reading (id, value) VALUES (1, 20.5)");
        s.execute("UPDATE reading SET value = 21 WHERE id = 1");
      }
      assertThat(Notifications.payloadsBeforeMarker(listener, writer, "reading")).as("NOTIFYs on channel reading").isEmpty();
    }
    assertThat(notifications("reading"))
        .extracting(n -> n.get("op").asText() + " " + n.get("new").get("value").asText())
        .containsExactly("INSERT 20.5", "UPDATE 21");
  }

  @Test
  void aHundredKilobyteColumnWritesFine() throws Exception {
    String big = "x".repeat(100 * 1024);
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("INSERT INTO media (id, title) VALUES (4, ?)")) {
      ps.setString(1, big);
      ps.executeUpdate();
    }
    List<JsonNode> rows = notifications("media");
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).get("new").get("title").asText()).isEqualTo(big);
  }

  @Test
  void theChangeFilterSuppressesUpdatesOfUnwatchedColumns() throws Exception {
    db.execute("INSERT INTO media (id, title, status_code) VALUES (5, 't', 's')");
    db.execute("UPDATE media SET content = 'changed', createdat = now() WHERE id = 5");
    db.execute("UPDATE media SET title = 't' WHERE id = 5");
    assertThat(notifications("media")).extracting(n -> n.get("op").asText()).containsExactly("INSERT");
    db.execute("UPDATE media SET status_code = 'other' WHERE id = 5");
    db.execute("UPDATE media SET title = NULL WHERE id = 5");
    assertThat(notifications("media"))
        .extracting(n -> n.get("op").asText())
        .containsExactly("INSERT", "UPDATE", "UPDATE");
  }

  @Test
  void runningTheDdlTwiceChangesNothing() throws Exception {
    String before = definitions();
    db.execute(mediaInstall);
    db.execute(quotesInstall);
    assertThat(definitions()).isEqualTo(before).contains("pgpubsub_notify_media").contains("pgpubsub_quotes");
  }

  @Test
  void broadcastCarriesSmallEventsInTheNotifyAndLargeOnesByReference() throws Exception {
    String big = "y".repeat(9000);
    try (Connection listener = listen("quotes");
        Connection writer = db.connect()) {
      try (Statement s = writer.createStatement()) {
        s.execute("INSERT INTO quote (id, text) VALUES (1, 'small')");
      }
      try (PreparedStatement ps = writer.prepareStatement("INSERT INTO quote (id, text) VALUES (2, ?)")) {
        ps.setString(1, big);
        ps.executeUpdate();
      }
      writer.setAutoCommit(false);
      List<String> payloads = Notifications.payloadsBeforeMarker(listener, writer, "quotes");
      assertThat(payloads).hasSize(2);
      JsonNode small = JSON.readTree(payloads.get(0));
      assertThat(small.get("op").asText()).isEqualTo("INSERT");
      assertThat(small.get("new").get("text").asText()).isEqualTo("small");
      JsonNode ref = JSON.readTree(payloads.get(1));
      assertThat(ref.size()).isEqualTo(1);
      long id = ref.get("ref").asLong();
      try (PreparedStatement ps =
          writer.prepareStatement("SELECT channel, payload FROM pgpubsub_broadcast WHERE id = ?")) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).isEqualTo("quotes");
          assertThat(JSON.readTree(rs.getString(2)).get("new").get("text").asText()).isEqualTo(big);
        }
      }
      writer.commit();
    }
    assertThat(count("SELECT count(*) FROM pgpubsub_notification")).as("broadcast stores nothing").isZero();
    assertThat(count("SELECT count(*) FROM pgpubsub_broadcast")).isEqualTo(1);
  }

  // --- helpers

  /** Stored payloads of a channel, oldest first. */
  private List<JsonNode> notifications(String channel) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT payload FROM pgpubsub_notification WHERE channel = ? ORDER BY id")) {
      ps.setString(1, channel);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(JSON.readTree(rs.getString(1)));
        }
      }
    }
    return out;
  }

  private long count(String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private Connection listen(String channel) throws SQLException {
    Connection c = db.connect();
    Notifications.listen(c, channel);
    return c;
  }

  /** A connection that holds what an idle listener process of {@code channel} holds: "idle", shared. */
  private Connection idleListenerProcess(String channel) throws SQLException {
    Connection c = db.connect();
    try (Statement s = c.createStatement()) {
      s.execute(
          "SELECT pg_advisory_lock_shared(" + ChannelNames.IDLE_LOCK + ", " + ChannelNames.lockKey("public", channel) + ")");
    }
    return c;
  }

  private String definitions() throws SQLException {
    StringBuilder out = new StringBuilder();
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p"
                  + " WHERE p.proname LIKE 'pgpubsub%' ORDER BY 1")) {
        while (rs.next()) {
          out.append(rs.getString(1)).append('\n').append(rs.getString(2)).append('\n');
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT t.tgname, pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t"
                  + " WHERE NOT t.tgisinternal ORDER BY 1")) {
        while (rs.next()) {
          out.append(rs.getString(1)).append(' ').append(rs.getString(2)).append(' ').append(rs.getString(3)).append('\n');
        }
      }
      try (ResultSet rs =
          s.executeQuery("SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'pgpubsub%' ORDER BY 1")) {
        while (rs.next()) {
          out.append(rs.getString(1)).append(' ').append(rs.getString(2)).append('\n');
        }
      }
    }
    return out.toString();
  }
}
