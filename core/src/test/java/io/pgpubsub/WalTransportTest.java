package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static io.pgpubsub.Fixtures.inTransaction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.internal.WalTriggers;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The WAL transport (issue 29) on the test PostgreSQL, which must run {@code wal_level = logical} (the embedded
 * server does; the tests are skipped with a message on a server that does not).
 */
@SuppressWarnings("try")
@PostgresTest
@Timeout(120)
class WalTransportTest {

  /** Stand-in for an entity; the default (Jackson) row decoder maps its columns. */
  public record Item(long id, String k, int v) {}

  /** What the processor generates for an ordered lockable channel keyed by k (the table transport's form). */
  static final String TABLE_DDL =
      """
      CREATE OR REPLACE FUNCTION "public"."pgpubsub_notify_wal_items"() RETURNS trigger
      LANGUAGE plpgsql AS $pgpubsub$
      DECLARE
        v_key text;
      BEGIN
        v_key := COALESCE(CASE WHEN TG_OP = 'DELETE' THEN OLD."k"::text ELSE NEW."k"::text END, '');
        -- writers of one key wait for each other until commit: a key's ids follow commit order
        PERFORM pg_advisory_xact_lock(hashtextextended(v_key, 15998367));
        INSERT INTO public.pgpubsub_notification (channel, payload, order_key)
        VALUES ('wal_items', jsonb_build_object(
          'op', TG_OP,
          'schema', NULL,
          'table', 'wal_item',
          'old', to_jsonb(OLD),
          'new', to_jsonb(NEW),
          'context', COALESCE(NULLIF(current_setting('pgpubsub.notification_context', true), '')::jsonb, '{}'::jsonb),
          'v', '55d9a542'), v_key);
        -- Wake the listeners only if one is idle: an idle listener process holds the 'idle' advisory lock
        -- in shared mode.
        IF NOT pg_try_advisory_xact_lock_shared(1885827892, 15998367) THEN
          PERFORM pg_notify('wal_items', '');
        ELSIF pg_try_advisory_lock(1885827891, 15998367) THEN
          PERFORM pg_advisory_unlock(1885827891, 15998367);
        ELSE
          PERFORM pg_notify('wal_items', '');
        END IF;
        RETURN NULL;
      END
      $pgpubsub$;
      DROP TRIGGER IF EXISTS "pgpubsub_wal_items" ON "wal_item";
      CREATE TRIGGER "pgpubsub_wal_items" AFTER INSERT OR UPDATE OR DELETE ON "wal_item"
      FOR EACH ROW EXECUTE FUNCTION "public"."pgpubsub_notify_wal_items"();
      """
          .replace("\n  ", "\n  ");

  private static final AtomicInteger SLOTS = new AtomicInteger();
  private final TestDatabase db;

  WalTransportTest(TestDatabase db) {
    this.db = db;
  }

  static boolean logical(TestDatabase db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("show wal_level")) {
      rs.next();
      return rs.getString(1).equals("logical");
    }
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Assumptions.assumeTrue(
        logical(db),
        "the test PostgreSQL does not run wal_level = logical: the WAL transport's tests need it (the embedded"
            + " server of test-support does; a server given in PGPUBSUB_TEST_JDBC_URL must set it)");
    Fixtures.install(db);
    db.execute("create table wal_item(id bigint primary key, k text not null, v int not null)");
    db.execute(WalTriggers.rewrite(channel(), TABLE_DDL));
    // the callbacks' database effects: one row per (id, v); applied twice would fail the primary key
    db.execute("create table effects(id bigint, v int, k text, n bigserial, primary key (id, v))");
  }

  static ChannelDefinition channel(ListenerDefinition... listeners) {
    return new ChannelDefinition(
        "wal_items", Item.class, true, true, true, null, "wal_item",
        Set.of(Operation.INSERT, Operation.UPDATE, Operation.DELETE), "55d9a542", null, List.of(listeners), null,
        true, DeadKeyPolicy.MOVE_ON);
  }

  /** Records every change in effects, in the callback's transaction. */
  static ListenerDefinition recorder() {
    return new ListenerDefinition(
        "Wal#onSave(Item)", ListenerKind.POST_SAVE, Fixtures.class, true,
        (t, inv) -> {
          Item item = inv.newValue(Item.class);
          Connection c = inv.resource(Connection.class);
          try (PreparedStatement ps = c.prepareStatement("insert into effects(id, v, k) values (?, ?, ?)")) {
            ps.setLong(1, item.id());
            ps.setInt(2, item.v());
            ps.setString(3, item.k());
            ps.executeUpdate();
          }
        });
  }

  String newSlot() {
    return "pgpubsub_test_" + db.name().replaceAll("[^a-z0-9_]", "_").toLowerCase() + "_" + SLOTS.incrementAndGet();
  }

  Listener.Builder wal(String slot, ListenerDefinition... listeners) {
    return Fixtures.listener(db, channel(listeners))
        .transport(Transport.WAL)
        .walSlot(slot)
        .retryPolicy(RetryPolicy.exponential(2, Duration.ofMillis(10), Duration.ofMillis(20)));
  }

  void dropSlot(String slot) throws Exception {
    try (Connection c = db.connect()) {
      WalTransport.resetSlot(c, "public", slot);
    }
  }

  void write(int from, int to, int keys) throws Exception {
    for (int i = from; i < to; i++) {
      int id = i;
      inTransaction(db, c -> {
        try (PreparedStatement ps =
            c.prepareStatement("insert into wal_item values (?, ?, 1) on conflict (id) do update set v = wal_item.v + 1")) {
          ps.setLong(1, id);
          ps.setString(2, "key-" + (id % keys));
          ps.executeUpdate();
        }
      });
    }
  }

  /** Every key's effects in the order the callbacks committed them must follow the writes' commit order. */
  void assertOrderPerKey() throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select k, id, v from effects order by n")) {
      java.util.Map<String, Long> lastId = new java.util.HashMap<>();
      while (rs.next()) {
        long id = rs.getLong(2);
        Long prev = lastId.put(rs.getString(1) + "/" + rs.getInt(3), id);
        assertThat(prev == null || prev < id).as("order of key %s", rs.getString(1)).isTrue();
      }
    }
  }

  @Test
  void deliversEveryCommittedChangeOnceInCommitOrderPerKey() throws Exception {
    String slot = newSlot();
    db.execute("truncate wal_item, effects");
    try (Listener l = wal(slot, recorder()).workers(3).build().start()) {
      await(Duration.ofSeconds(20), "leadership", l::isListening);
      write(0, 300, 7);
      // a rolled back write never arrives
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        c.createStatement().execute("insert into wal_item values (100000, 'rolled', 1)");
        c.rollback();
      }
      DrainResult r = l.drain(Duration.ofSeconds(60));
      assertThat(r.processed()).isEqualTo(300);
      assertThat(count(db, "select count(*) from effects")).isEqualTo(300);
      assertThat(count(db, "select count(*) from effects where id = 100000")).isZero();
      WalStatus st = l.walStatus();
      assertThat(st.exists()).isTrue();
      assertThat(st.leader()).isTrue();
      assertThat(st.active()).isTrue();
      assertThat(st.retainedBytes()).isGreaterThanOrEqualTo(0);
      assertThat(st.error()).isNull();
    } finally {
      dropSlot(slot);
    }
    assertOrderPerKey();
  }

  @Test
  void aRestartReplaysNothingTwiceAndLosesNothing() throws Exception {
    String slot = newSlot();
    db.execute("truncate wal_item, effects");
    db.execute("delete from pgpubsub_notification");
    try {
      try (Listener l = wal(slot, recorder()).workers(2).build().start()) {
        await(Duration.ofSeconds(20), "leadership", l::isListening);
        write(0, 50, 5);
        l.drain(Duration.ofSeconds(30));
      }
      // written while no listener runs: kept by the slot
      write(50, 120, 5);
      // the slot confirmed only what committed; forget the confirmation to force a replay of everything
      try (Listener l = wal(slot, recorder()).workers(2).build().start()) {
        l.drain(Duration.ofSeconds(30));
        assertThat(count(db, "select count(*) from effects")).isEqualTo(120);
      }
      // another layout (3 workers) after a replay: still nothing twice
      write(120, 150, 5);
      try (Listener l = wal(slot, recorder()).workers(3).build().start()) {
        l.drain(Duration.ofSeconds(30));
      }
      assertThat(count(db, "select count(*) from effects")).isEqualTo(150);
      assertThat(count(db, "select count(*) from pgpubsub_notification where dead_at is not null")).isZero();
    } finally {
      dropSlot(slot);
    }
    assertOrderPerKey();
  }

  @Test
  void aHostilePayloadAndAFailingCallbackAreDeadLetteredAndTheRestFlows() throws Exception {
    String slot = newSlot();
    db.execute("truncate wal_item, effects");
    db.execute("delete from pgpubsub_notification");
    ListenerDefinition failing =
        new ListenerDefinition(
            "Wal#failOn13(Item)", ListenerKind.POST_SAVE, Fixtures.class, true,
            (t, inv) -> {
              if (inv.newValue(Item.class).id() == 13) {
                throw new IllegalStateException("no 13");
              }
            });
    try (Listener l = wal(slot, recorder(), failing).workers(2).build().start()) {
      await(Duration.ofSeconds(20), "leadership", l::isListening);
      write(10, 13, 3);
      try (Connection c = db.connect()) {
        // not JSON; a key length beyond the content; a NUL-free but huge key; all on the served channel
        c.createStatement().execute("select pg_logical_emit_message(true, 'pgpubsub:wal_items', '3:abc{not json')");
        c.createStatement().execute("select pg_logical_emit_message(true, 'pgpubsub:wal_items', '999:x')");
        c.createStatement().execute("select pg_logical_emit_message(true, 'pgpubsub:wal_items', '{\"op\":\"INSERT\"}')");
        c.createStatement().execute("select pg_logical_emit_message(true, 'pgpubsub:nobody', 'ignored')");
      }
      write(13, 16, 3);
      l.drain(Duration.ofSeconds(60));
      assertThat(count(db, "select count(*) from effects")).isEqualTo(5); // 10, 11, 12, 14, 15
      assertThat(count(db, "select count(*) from pgpubsub_notification where dead_at is not null")).isEqualTo(4);
      assertThat(count(db, "select count(*) from pgpubsub_notification where last_error like '%no 13%'")).isEqualTo(1);
      assertThat(l.deadLetters().list("wal_items", 10)).hasSize(4);
    } finally {
      dropSlot(slot);
    }
  }

  @Test
  void aTerminatedReplicationConnectionIsReopenedWithoutLossOrRepeat() throws Exception {
    String slot = newSlot();
    db.execute("truncate wal_item, effects");
    try (Listener l = wal(slot, recorder()).workers(2).build().start()) {
      await(Duration.ofSeconds(20), "leadership", l::isListening);
      write(0, 40, 4);
      try (Connection c = db.connect()) {
        c.createStatement().execute(
            "select pg_terminate_backend(active_pid) from pg_replication_slots where slot_name = '" + slot + "'");
      }
      write(40, 80, 4);
      await(Duration.ofSeconds(30), "all 80 effects", () -> count(db, "select count(*) from effects") == 80);
      l.drain(Duration.ofSeconds(30));
      assertThat(count(db, "select count(*) from effects")).isEqualTo(80);
    } finally {
      dropSlot(slot);
    }
    assertOrderPerKey();
  }

  @Test
  void aSecondListenerTakesOverTheSlotWhenTheLeaderStops() throws Exception {
    String slot = newSlot();
    db.execute("truncate wal_item, effects");
    try (Listener first = wal(slot, recorder()).name("first").build().start();
        Listener second = wal(slot, recorder()).name("second").build().start()) {
      await(Duration.ofSeconds(20), "a leader", () -> first.isListening() || second.isListening());
      Listener leader = first.isListening() ? first : second;
      Listener follower = leader == first ? second : first;
      assertThat(follower.isListening()).isFalse();
      write(0, 20, 3);
      leader.drain(Duration.ofSeconds(30));
      long t0 = System.nanoTime();
      leader.close();
      write(20, 40, 3);
      await(Duration.ofSeconds(20), "the follower leads", follower::isListening);
      System.out.printf("failover took %d ms%n", (System.nanoTime() - t0) / 1_000_000);
      follower.drain(Duration.ofSeconds(30));
      assertThat(count(db, "select count(*) from effects")).isEqualTo(40);
    } finally {
      dropSlot(slot);
    }
    assertOrderPerKey();
  }

  @Test
  void aDroppedSlotIsAnExplicitErrorUntilReset() throws Exception {
    String slot = newSlot();
    try {
      try (Listener l = wal(slot, recorder()).build().start()) {
        await(Duration.ofSeconds(20), "leadership", l::isListening);
      }
      try (Connection c = db.connect()) {
        c.createStatement().execute("select pg_drop_replication_slot('" + slot + "')");
      }
      assertThatThrownBy(() -> wal(slot, recorder()).build().start())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("replication slot '" + slot + "'")
          .hasMessageContaining("was dropped")
          .hasMessageContaining("WalTransport.resetSlot");
      try (Connection c = db.connect()) {
        WalTransport.resetSlot(c, "public", slot);
      }
      try (Listener l = wal(slot, recorder()).build().start()) {
        await(Duration.ofSeconds(20), "leadership after the reset", l::isListening);
        assertThat(l.walStatus().exists()).isTrue();
      }
    } finally {
      dropSlot(slot);
    }
  }

  @Test
  void bootFailsClearlyWithoutTheReplicationRight() throws Exception {
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'wal_norep') then"
        + " create role wal_norep login password 'x'; end if; end $$");
    db.execute("grant all on schema public to wal_norep");
    String url = db.jdbcUrl().replaceAll("([?&])(user|password)=[^&]*", "$1").replaceAll("[?&]+$", "");
    Listener l =
        Listener.builder()
            .jdbcUrl(url)
            .user("wal_norep")
            .password("x")
            .channelDefinitions(List.of(channel(recorder())))
            .transport(Transport.WAL)
            .walSlot("never_created")
            .build();
    try {
      assertThatThrownBy(l::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("REPLICATION")
        .hasMessageContaining("ALTER ROLE")
          .hasMessageContaining("rds_replication");
    } finally {
      l.close();
    }
  }

  @Test
  void aBroadcastOrPlainChannelIsRefusedAtStart() {
    ChannelDefinition plain = Fixtures.plain("wal_plain", Item.class, true, recorder());
    try (Listener l = Fixtures.listener(db, plain).transport(Transport.WAL).walSlot("never_created").build()) {
      assertThatThrownBy(l::start).hasMessageContaining("channel 'wal_plain'").hasMessageContaining("WAL transport");
    }
  }

  /** The server at 127.0.0.1:5432 of this machine runs wal_level = replica: the boot says how to enable it. */
  @Test
  void bootFailsClearlyWhenWalLevelIsNotLogical() throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres&connectTimeout=2";
    String level;
    try (Connection c = DriverManager.getConnection(url);
        ResultSet rs = c.createStatement().executeQuery("show wal_level")) {
      rs.next();
      level = rs.getString(1);
    } catch (java.sql.SQLException e) {
      Assumptions.abort("no PostgreSQL at 127.0.0.1:5432 with wal_level other than logical: " + e.getMessage());
      return;
    }
    Assumptions.assumeFalse(level.equals("logical"), "the server at 127.0.0.1:5432 runs wal_level = logical");
    Listener l =
        Listener.builder().jdbcUrl(url).channelDefinitions(List.of(channel(recorder()))).transport(Transport.WAL).build();
    assertThatThrownBy(l::start) // nothing is created on that server: the check comes first
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("wal_level = " + level)
        .hasMessageContaining("ALTER SYSTEM SET wal_level = logical")
        .hasMessageContaining("restart")
        .hasMessageContaining("rds.logical_replication");
  }

  @Test
  void theRewrittenTriggersOfEveryGeneratedShapeEmitMessagesOnly() throws Exception {
    java.nio.file.Path expected = java.nio.file.Path.of("../annotation-processor/src/test/resources/expected");
    Assumptions.assumeTrue(java.nio.file.Files.isDirectory(expected), "the processor's expected DDL is not here");
    List<java.nio.file.Path> files = new ArrayList<>();
    try (var s = java.nio.file.Files.walk(expected)) {
      s.filter(p -> p.toString().endsWith(".sql") && !p.getFileName().toString().equals("pgpubsub.sql")).forEach(files::add);
    }
    assertThat(files).isNotEmpty();
    for (java.nio.file.Path f : files) {
      String ddl = java.nio.file.Files.readString(f);
      String name = f.getFileName().toString().replace(".sql", "");
      boolean ordered = ddl.contains("order_key");
      ChannelDefinition ch =
          new ChannelDefinition(name, Item.class, true, true, true, null, name, Set.of(Operation.INSERT), "v", f.toString(),
              List.of(), null, ordered, DeadKeyPolicy.MOVE_ON);
      if (!ddl.contains("INSERT INTO public.pgpubsub_notification")) {
        continue; // broadcast or plain shapes
      }
      String wal = WalTriggers.rewrite(ch, ddl);
      assertThat(wal).as(f.toString()).doesNotContain("INSERT INTO").doesNotContain("pg_notify(")
          .contains("pg_logical_emit_message(true, 'pgpubsub:" + name + "'");
    }
  }
}
