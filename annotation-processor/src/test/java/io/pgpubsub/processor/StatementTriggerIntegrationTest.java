package io.pgpubsub.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.Notifications;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
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

/**
 * INSERT and DELETE of lockable channels are statement-level triggers with a transition table: one call and
 * one {@code INSERT ... SELECT} per statement. Per-row semantics must stay exactly those of the row-level
 * trigger: a stored notification per row with the same payload (excluded columns, context, mapping version),
 * nothing on rollback, the change filter per row, and row-level triggers where a statement-level one would
 * miss rows (partitioned tables).
 */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatementTriggerIntegrationTest {

  /** Three rows in one statement, with the excluded column set and a transaction-local context. */
  private static final String INSERT_THREE =
      "INSERT INTO media (id, title, status_code, content, createdat) VALUES"
          + " (1, 'a', 's1', 'blob 1', '2026-01-01T00:00:00Z'),"
          + " (2, 'b', NULL, 'blob 2', NULL),"
          + " (3, 'it''s \"quoted\"', 's3', NULL, '2026-01-03T10:11:12.345678Z')";

  private final TestDatabase db;
  private String mediaDdl;

  StatementTriggerIntegrationTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  void install() {
    mediaDdl = Fixtures.generated(Fixtures.compileOk("good/plain"), "META-INF/pgpubsub.sql");
    db.execute(
        "CREATE TABLE media (id bigint PRIMARY KEY, title text, status_code text, content text,"
            + " createdat timestamptz)");
    db.execute(mediaDdl);
  }

  @BeforeEach
  void clean() {
    db.execute("DROP SCHEMA IF EXISTS parts CASCADE; DELETE FROM media; DELETE FROM pgpubsub_notification");
    db.execute(mediaDdl); // the generated triggers, as installed
  }

  @Test
  void theGeneratedInsertAndDeleteTriggersAreStatementLevelAndUpdateIsRowLevel() throws Exception {
    assertThat(triggers("media"))
        .containsExactly(
            "pgpubsub_media AFTER INSERT STATEMENT",
            "pgpubsub_media:delete AFTER DELETE STATEMENT",
            "pgpubsub_media:update AFTER UPDATE ROW");
  }

  @Test
  void aMultiRowInsertStoresOneRowPerRowWithTheRowLevelTriggersPayloadsByteForByte() throws Exception {
    List<String> statementLevel = writeWithContext(INSERT_THREE);
    assertThat(statementLevel).hasSize(3);
    assertThat(statementLevel.get(0))
        .contains("\"op\": \"INSERT\"")
        .contains("\"old\": null")
        .contains("\"context\": {\"user\": \"alice\"}")
        .contains("\"v\": \"f308f540\"")
        .doesNotContain("blob");

    db.execute("DELETE FROM media; DELETE FROM pgpubsub_notification");
    rowLevel("pgpubsub_media", "INSERT");
    List<String> rowLevel = writeWithContext(INSERT_THREE);

    assertThat(statementLevel).as("payloads, in id order").isEqualTo(rowLevel);
  }

  @Test
  void aMultiRowDeleteStoresOneRowPerRowWithTheRowLevelTriggersPayloadsByteForByte() throws Exception {
    db.execute(INSERT_THREE + "; DELETE FROM pgpubsub_notification");
    List<String> statementLevel = writeWithContext("DELETE FROM media WHERE id IN (1, 3)");
    assertThat(statementLevel).hasSize(2);
    assertThat(statementLevel).allSatisfy(p -> assertThat(p).contains("\"op\": \"DELETE\"", "\"new\": null"));

    db.execute("DELETE FROM media; DELETE FROM pgpubsub_notification; " + INSERT_THREE);
    db.execute("DELETE FROM pgpubsub_notification");
    rowLevel("pgpubsub_media:delete", "DELETE");
    List<String> rowLevel = writeWithContext("DELETE FROM media WHERE id IN (1, 3)");

    assertThat(statementLevel).isEqualTo(rowLevel);
  }

  @Test
  void aRolledBackMultiRowStatementStoresAndNotifiesNothing() throws Exception {
    try (Connection listener = listen("media");
        Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      try (Statement s = writer.createStatement()) {
        s.execute("INSERT INTO media (id, title) SELECT g, 'never ' || g FROM generate_series(1, 50) g");
        s.execute("DELETE FROM media WHERE id <= 10");
        writer.rollback();
      }
      writer.setAutoCommit(true);
      assertThat(Notifications.payloadsBeforeMarker(listener, writer, "media")).as("NOTIFYs").isEmpty();
    }
    assertThat(payloads()).isEmpty();
  }

  @Test
  void aStatementThatChangesNoRowStoresAndNotifiesNothing() throws Exception {
    try (Connection listener = listen("media");
        Connection writer = db.connect();
        Statement s = writer.createStatement()) {
      s.execute("INSERT INTO media (id, title) SELECT g, 'none' FROM generate_series(1, 0) g");
      s.execute("DELETE FROM media WHERE id = 42");
      assertThat(Notifications.payloadsBeforeMarker(listener, writer, "media")).as("NOTIFYs").isEmpty();
    }
    assertThat(payloads()).isEmpty();
  }

  @Test
  void theChangeFilterAppliesToEachRowOfAMultiRowUpdate() throws Exception {
    db.execute(INSERT_THREE + "; INSERT INTO media (id, title, status_code) VALUES (4, 'd', 's4')");
    db.execute("DELETE FROM pgpubsub_notification");
    // one statement: row 1 changes a watched column, row 2 only unwatched ones, row 3 a watched one to NULL,
    // row 4 a watched column to the same value
    db.execute(
        "UPDATE media SET content = 'changed', createdat = now(),"
            + " title = CASE id WHEN 1 THEN 'a2' ELSE title END,"
            + " status_code = CASE id WHEN 3 THEN NULL WHEN 4 THEN 's4' ELSE status_code END");
    List<String> stored = payloads();
    assertThat(stored).hasSize(2);
    assertThat(stored.get(0))
        .contains("\"op\": \"UPDATE\"")
        .contains("\"old\": {\"id\": 1,")
        .contains("\"new\": {\"id\": 1,")
        .contains("\"title\": \"a\"")
        .contains("\"title\": \"a2\"");
    assertThat(stored.get(1)).contains("\"old\": {\"id\": 3,", "\"status_code\": \"s3\"", "\"status_code\": null");
  }

  /**
   * A statement-level trigger on a partitioned table does not fire for rows written into a partition
   * directly, so such a table keeps row-level triggers: rows written through the parent and into a partition
   * are both stored.
   */
  @Test
  void aPartitionedTableKeepsRowLevelTriggersAndMissesNoRow() throws Exception {
    db.execute(
        "CREATE SCHEMA parts;"
            + " CREATE TABLE parts.media (id bigint, title text, status_code text, content text, createdat timestamptz)"
            + " PARTITION BY RANGE (id);"
            + " CREATE TABLE parts.media_low PARTITION OF parts.media FOR VALUES FROM (0) TO (100);"
            + " CREATE TABLE parts.media_high PARTITION OF parts.media FOR VALUES FROM (100) TO (1000)");
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("SET search_path = parts, public");
      s.execute(mediaDdl); // the entity's table resolves to parts.media here
      s.execute("INSERT INTO media (id, title) VALUES (1, 'through the parent'), (150, 'through the parent')");
      s.execute("INSERT INTO media_low (id, title) VALUES (2, 'into a partition')");
      s.execute("DELETE FROM media_high");
    }
    assertThat(triggers("parts.media"))
        .containsExactly(
            "pgpubsub_media AFTER INSERT ROW",
            "pgpubsub_media:delete AFTER DELETE ROW",
            "pgpubsub_media:update AFTER UPDATE ROW");
    assertThat(payloads())
        .extracting(p -> p.replaceAll(".*\"op\": \"(\\w+)\".*\"id\": (\\d+).*", "$1 $2"))
        .containsExactly("INSERT 1", "INSERT 150", "INSERT 2", "DELETE 150");
  }

  /** The payloads of a transaction that sets the context and runs {@code sql}, as jsonb text, in id order. */
  private List<String> writeWithContext(String sql) throws SQLException {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SELECT set_config('pgpubsub.notification_context', '{\"user\":\"alice\"}', true)");
        s.execute(sql);
      }
      c.commit();
    }
    return payloads();
  }

  /** Replaces the generated trigger {@code name} by a row-level one on the same function. */
  private void rowLevel(String name, String op) {
    db.execute(
        "DROP TRIGGER \"" + name + "\" ON media; CREATE TRIGGER \"" + name + "\" AFTER " + op
            + " ON media FOR EACH ROW EXECUTE FUNCTION public.pgpubsub_notify_media()");
    assertThat(rowLevelTrigger(name)).isTrue();
  }

  private boolean rowLevelTrigger(String name) {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT tgtype & 1 = 1 FROM pg_trigger WHERE tgname = '" + name + "'")) {
      assertThat(rs.next()).isTrue();
      return rs.getBoolean(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The table's pgpubsub triggers: name, timing, event and level. */
  private List<String> triggers(String table) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT tgname, CASE WHEN tgtype & 2 = 2 THEN 'BEFORE' ELSE 'AFTER' END,"
                    + " CASE WHEN tgtype & 4 = 4 THEN 'INSERT' WHEN tgtype & 8 = 8 THEN 'DELETE' ELSE 'UPDATE' END,"
                    + " CASE WHEN tgtype & 1 = 1 THEN 'ROW' ELSE 'STATEMENT' END"
                    + " FROM pg_trigger WHERE tgrelid = '" + table + "'::regclass AND tgname LIKE 'pgpubsub%'"
                    + " ORDER BY tgname")) {
      while (rs.next()) {
        out.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
      }
    }
    return out;
  }

  private List<String> payloads() throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT payload::text FROM pgpubsub_notification ORDER BY id")) {
      while (rs.next()) {
        out.add(rs.getString(1));
      }
    }
    return out;
  }

  private Connection listen(String channel) throws SQLException {
    Connection c = db.connect();
    Notifications.listen(c, channel);
    return c;
  }
}
