package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.AvailableSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, item 6: validate compares through the catalog (no DDL, no table lock, no ownership needed);
 * create changes only what differs, under a short lock_timeout, with a clear error.
 */
@Timeout(120)
class LockFreeBootTest {

  private static final String LOCK_TIMEOUT_MS = "1500";

  private static SessionFactory boot(TestDatabase db, String mode, String hbm2ddl, String user) {
    Map<String, String> settings = new HashMap<>();
    settings.put(PubSubSettings.SCHEMA_MANAGEMENT, mode);
    settings.put(PubSubSettings.LOCK_TIMEOUT, LOCK_TIMEOUT_MS);
    settings.put(AvailableSettings.HBM2DDL_AUTO, hbm2ddl);
    if (user != null) {
      // the URL may carry the admin user (user=...); connect as the given role instead
      String url = db.jdbcUrl().replaceAll("([?&])user=[^&]*&?", "$1").replaceAll("[?&]$", "");
      settings.put(AvailableSettings.JAKARTA_JDBC_URL, url);
      settings.put(AvailableSettings.JAKARTA_JDBC_USER, user);
      settings.put(AvailableSettings.JAKARTA_JDBC_PASSWORD, "");
    }
    return TestHibernate.build(db, settings, Author.class);
  }

  private static long triggerOid(TestDatabase db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select coalesce(max(oid::bigint), 0) from pg_trigger where tgname = 'pgpubsub_author'")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void aLongReadOnTheTableStallsNeitherValidateNorAnUnchangedCreate() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_lock")) {
      boot(db, "create", "create", null).close();
      long oid = triggerOid(db);
      db.execute("insert into author(id, name) values (1, 'Ada')");
      try (Connection report = db.connect()) {
        // a long-running report: an open transaction that has read the table (ACCESS SHARE lock, held)
        report.setAutoCommit(false);
        try (Statement s = report.createStatement()) {
          s.executeQuery("select count(*) from author").close();
        }
        boot(db, "validate", "none", null).close();
        boot(db, "create", "none", null).close();
        assertThat(triggerOid(db)).as("an up-to-date trigger is not re-created").isEqualTo(oid);

        // a changed trigger: create must replace it, waits at most lock_timeout, and says why it failed
        report.rollback();
        db.execute("comment on trigger pgpubsub_author on author is 'pgpubsub:00000000'");
        try (Statement s = report.createStatement()) {
          s.executeQuery("select count(*) from author").close();
        }
        assertThatThrownBy(() -> boot(db, "validate", "none", null))
            .isInstanceOf(PubSubBootException.class)
            .hasMessageContaining("trigger pgpubsub_author on table author is stale");
        assertThatThrownBy(() -> boot(db, "create", "none", null))
            .isInstanceOf(PubSubBootException.class)
            .hasMessageContaining("trigger channel 'author' of entity " + Author.class.getName())
            .hasMessageContaining("installing its trigger on table author waited longer than lock_timeout ("
                + LOCK_TIMEOUT_MS + " ms, hibernate.pgpubsub.lock_timeout) for a lock on the table");
        // the report still runs, and the table is usable
        try (Statement s = report.createStatement();
            ResultSet rs = s.executeQuery("select count(*) from author")) {
          rs.next();
          assertThat(rs.getLong(1)).isEqualTo(1);
        }
        report.rollback();
      }
      // once the report has ended, create repairs it and validate agrees
      boot(db, "create", "none", null).close();
      boot(db, "validate", "none", null).close();
    }
  }

  @Test
  void aRoleThatDoesNotOwnTheTableCanValidate() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_nonowner")) {
      boot(db, "create", "create", null).close();
      String role = "pgpubsub_reader_" + ProcessHandle.current().pid();
      db.execute("drop role if exists " + role);
      db.execute("create role " + role + " login");
      try {
        db.execute("grant connect on database \"" + db.name() + "\" to " + role);
        db.execute("grant select on all tables in schema public to " + role);
        try (SessionFactory sf = boot(db, "validate", "none", role)) {
          String user =
              sf.fromTransaction(s -> s.createNativeQuery("select current_user", String.class).getSingleResult());
          assertThat(user).isEqualTo(role);
        }

        db.execute("comment on trigger pgpubsub_author on author is 'pgpubsub:00000000'");
        assertThatThrownBy(() -> boot(db, "validate", "none", role))
            .isInstanceOf(PubSubBootException.class)
            .hasMessageContaining("trigger pgpubsub_author on table author is stale")
            .hasMessageContaining("pgpubsub:00000000");
      } finally {
        db.execute("drop owned by " + role);
        db.close();
        try (Connection c = PostgresServer.get().connectAdmin();
            Statement s = c.createStatement()) {
          s.execute("drop role if exists " + role);
        }
      }
    }
  }
}
