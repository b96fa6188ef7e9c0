package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.Transport;
import io.pgpubsub.WalTransport;
import io.pgpubsub.hibernate.Recorder.Event;
import io.pgpubsub.hibernate.model.AuditEntry;
import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The WAL transport (docs/wal-transport.md) with the Hibernate integration: the same entity, listener method,
 * Session and context as the table transport, the callback's Session work committed once with the applied
 * position, a failing callback rolled back and dead-lettered, and nothing passing through the notification table.
 */
@PostgresTest
@Timeout(120)
class WalTransportHibernateTest {

  @Test
  void entitiesListenersSessionAndContextWorkOverTheWal(TestDatabase db) throws Exception {
    try (Connection c = db.connect();
        ResultSet rs = c.createStatement().executeQuery("show wal_level")) {
      rs.next();
      Assumptions.assumeTrue(rs.getString(1).equals("logical"), "the test PostgreSQL does not run wal_level = logical");
    }
    Recorder recorder = new Recorder();
    String slot = "pgpubsub_hibernate_" + ProcessHandle.current().pid();
    try (SessionFactory sf = TestHibernate.build(db, Map.of(), Author.class, AuditEntry.class);
        Listener l =
            HibernatePubSub.listener(sf)
                .channels("author")
                .transport(Transport.WAL)
                .walSlot(slot)
                .installSchema(true) // the WAL form of the generated trigger replaces the table form
                .listenerFactory(t -> recorder)
                .retryPolicy(RetryPolicy.exponential(2, Duration.ofMillis(10), Duration.ofMillis(20)))
                .build()
                .start()) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!l.isListening()) {
        assertThat(System.nanoTime()).as("the listener leads its slot within 30 s").isLessThan(deadline);
        LockSupport.parkNanos(10_000_000);
      }
      sf.inTransaction(s -> {
        HibernatePubSub.setContext(s, Map.of("tenant", "acme"));
        s.persist(new Author(1L, "ann"));
      });
      sf.inTransaction(s -> s.persist(new Author(2L, "fail bob")));
      sf.inTransaction(s -> s.persist(new Author(3L, "cy")));
      Event ann = recorder.await(e -> e.current() instanceof Author a && a.id == 1, Duration.ofSeconds(30));
      assertThat(ann.delivery().context()).containsEntry("tenant", "acme");
      assertThat(ann.delivery().channel()).isEqualTo("author");
      l.drain(Duration.ofSeconds(60));
      try (Connection c = db.connect()) {
        assertThat(count(c, "select count(*) from audit_entry")).isEqualTo(2); // ann and cy, once each; bob rolled back
        assertThat(count(c, "select count(*) from audit_entry where notification_id = " + ann.delivery().id())).isEqualTo(1);
        assertThat(count(c, "select count(*) from pgpubsub_notification where dead_at is null")).isZero();
        assertThat(count(c, "select count(*) from pgpubsub_notification where dead_at is not null"
            + " and payload -> 'new' ->> 'name' = 'fail bob' and last_error like '%callback failure for fail bob%'")).isEqualTo(1);
      }
    } finally {
      try (Connection c = db.connect()) {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (count(c, "select count(*) from pg_replication_slots where active and slot_name = '" + slot + "'") > 0
            && System.nanoTime() < end) {
          LockSupport.parkNanos(20_000_000);
        }
        WalTransport.resetSlot(c, "public", slot);
      }
    }
  }

  /**
   * hibernate.pgpubsub.transport: the boot installs and validates the form of the trigger the listeners' transport
   * reads. Without it a boot in create mode would leave a WAL-form trigger in place after the listeners went back
   * to the table (both forms carry the same version marker), and nothing would read the changes.
   */
  @Test
  void theBootInstallsAndValidatesTheTriggerFormOfTheTransportSetting(TestDatabase db) throws Exception {
    try (SessionFactory sf = TestHibernate.build(db, Map.of(PubSubSettings.TRANSPORT, "wal"), Author.class)) {
      assertThat(authorTriggerIsWalForm(db)).as("the WAL form after a boot with transport = wal").isTrue();
    }
    try (SessionFactory sf =
        TestHibernate.build(
            db, Map.of(PubSubSettings.TRANSPORT, "wal", PubSubSettings.SCHEMA_MANAGEMENT, "validate", KEEP, "update"), Author.class)) {
      assertThat(authorTriggerIsWalForm(db)).isTrue(); // validate accepts it
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> TestHibernate.build(db, Map.of(PubSubSettings.SCHEMA_MANAGEMENT, "validate", KEEP, "update"), Author.class).close())
        .hasStackTraceContaining("WAL transport's form")
        .hasStackTraceContaining(PubSubSettings.TRANSPORT + " is table");
    try (SessionFactory sf = TestHibernate.build(db, Map.of(KEEP, "update"), Author.class)) {
      assertThat(authorTriggerIsWalForm(db)).as("create mode puts the table form back").isFalse();
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> TestHibernate.build(db, Map.of(PubSubSettings.TRANSPORT, "kafka"), Author.class).close())
        .hasStackTraceContaining(PubSubSettings.TRANSPORT + " must be table or wal");
  }

  /** The first boot creates the table; the later ones keep it (and its triggers) between boots. */
  private static final String KEEP = org.hibernate.cfg.AvailableSettings.HBM2DDL_AUTO;

  /** True when author's generated triggers are all in the WAL form, false when all in the table form. */
  private static boolean authorTriggerIsWalForm(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      String triggers =
          "select count(*) from pg_trigger t join pg_proc p on p.oid = t.tgfoid"
              + " where t.tgrelid = 'author'::regclass and not t.tgisinternal";
      long all = count(c, triggers);
      long wal = count(c, triggers + " and p.prosrc like '%pg_logical_emit_message%'");
      long table = count(c, triggers + " and p.prosrc like '%pgpubsub_notification (channel%'");
      assertThat(all).as("author's generated triggers").isPositive();
      assertThat(wal + table).as("each in one form or the other").isEqualTo(all);
      assertThat(wal == all || table == all).as("all in the same form").isTrue();
      return wal == all;
    }
  }

  private static long count(Connection c, String sql) throws Exception {
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
