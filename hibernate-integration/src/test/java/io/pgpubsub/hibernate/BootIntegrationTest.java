package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.hibernate.model.OrderLine;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.hibernate.SessionFactory;
import org.hibernate.boot.model.naming.PhysicalNamingStrategyStandardImpl;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.cfg.Configuration;
import org.junit.jupiter.api.Test;

/** What the integrator does when a SessionFactory starts, and the clear boot failures. */
class BootIntegrationTest {

  private static long count(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long triggerOid(TestDatabase db, String trigger) throws Exception {
    return count(db, "select coalesce(max(oid::bigint), 0) from pg_trigger where tgname = '" + trigger + "'");
  }

  private static SessionFactory boot(TestDatabase db, String mode, String hbm2ddl) {
    return TestHibernate.build(
        db,
        Map.of(PubSubSettings.SCHEMA_MANAGEMENT, mode, AvailableSettings.HBM2DDL_AUTO, hbm2ddl),
        Author.class);
  }

  @Test
  void createInstallsOnceThenValidatePasses() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_create")) {
      boot(db, "create", "create").close();
      assertThat(count(db, "select count(*) from pgpubsub_notification")).isZero();
      long oid = triggerOid(db, "pgpubsub_author");
      assertThat(oid).as("trigger installed").isNotZero();

      // up to date: a second boot leaves the trigger as it is (no drop and re-create)
      boot(db, "create", "none").close();
      assertThat(triggerOid(db, "pgpubsub_author")).isEqualTo(oid);

      boot(db, "validate", "none").close();

      // the trigger works: a write stores a notification
      db.execute("insert into author(id, name) values (1, 'Ada')");
      assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'author'")).isEqualTo(1);
    }
  }

  @Test
  void validateFailsWhenTheTableOrTheTriggerIsMissing() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_missing")) {
      assertThatThrownBy(() -> boot(db, "validate", "create"))
          .isInstanceOf(PubSubBootException.class)
          .hasMessageContaining("table public.pgpubsub_notification does not exist")
          .hasMessageContaining("trigger pgpubsub_author is missing on table author")
          .hasMessageContaining(Author.class.getName())
          .hasMessageContaining("hibernate.pgpubsub.schema_management=validate");
      assertThat(triggerOid(db, "pgpubsub_author")).as("validate installs nothing").isZero();
    }
  }

  @Test
  void validateFailsWhenTheTriggerIsStale() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_stale")) {
      boot(db, "create", "create").close();
      // an older build's function: another mapping version, another column set
      db.execute(
          "CREATE OR REPLACE FUNCTION public.pgpubsub_notify_author() RETURNS trigger LANGUAGE plpgsql AS $$"
              + " BEGIN INSERT INTO public.pgpubsub_notification (channel, payload) VALUES ('author',"
              + " jsonb_build_object('op', TG_OP, 'new', to_jsonb(NEW), 'v', '00000000')); RETURN NULL; END $$");
      assertThatThrownBy(() -> boot(db, "validate", "none"))
          .isInstanceOf(PubSubBootException.class)
          .hasMessageContaining("trigger pgpubsub_author on table author is stale")
          .hasMessageContaining("the installed one has another version");
      // create mode repairs it
      boot(db, "create", "none").close();
      boot(db, "validate", "none").close();
    }
  }

  @Test
  void failsWhenTheTriggerIsNotOnTheTableHibernateMaps() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_table")) {
      // the processor was told snake_case (order_line); this factory uses Hibernate's default naming
      java.util.function.Function<Map<String, String>, SessionFactory> build =
          settings -> {
            Configuration cfg = TestHibernate.configuration(db, OrderLine.class);
            cfg.setProperty(
                AvailableSettings.PHYSICAL_NAMING_STRATEGY, PhysicalNamingStrategyStandardImpl.class.getName());
            settings.forEach(cfg::setProperty);
            return cfg.buildSessionFactory();
          };
      assertThatThrownBy(() -> build.apply(Map.of()))
          .isInstanceOf(PubSubBootException.class)
          .hasMessageContaining("trigger channel 'order_line' of entity " + OrderLine.class.getName())
          .hasMessageContaining("expected public.orderline, actual public.order_line");
      // schema_management=none still checks the table
      assertThatThrownBy(() -> build.apply(Map.of(PubSubSettings.SCHEMA_MANAGEMENT, "none")))
          .hasMessageContaining("expected public.orderline");
      // switched off: nothing is checked or installed
      build.apply(Map.of(PubSubSettings.ENABLED, "false")).close();
      assertThat(count(db, "select count(*) from pg_trigger where tgname like 'pgpubsub%'")).isZero();
    }
  }

  @Test
  void failsWhenTheSchemaDiffersFromTheProcessors() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_schema")) {
      assertThatThrownBy(
              () ->
                  TestHibernate.build(db, Map.of(PubSubSettings.SCHEMA, "events"), Author.class))
          .isInstanceOf(PubSubBootException.class)
          .hasMessageContaining("does not write to the notification table in schema 'events'")
          .hasMessageContaining("-Apgpubsub.schema=events");
    }
  }

  @Test
  void badSettingsAreNamed() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("boot_settings")) {
      assertThatThrownBy(
              () -> TestHibernate.build(db, Map.of(PubSubSettings.SCHEMA_MANAGEMENT, "update"), Author.class))
          .hasMessageContaining("hibernate.pgpubsub.schema_management must be one of create, validate, none");
      // any name PostgreSQL accepts is a valid schema (quoted in SQL where needed); only what it rejects is not
      assertThatThrownBy(() -> TestHibernate.build(db, Map.of(PubSubSettings.SCHEMA, "s".repeat(64)), Author.class))
          .hasMessageContaining("invalid hibernate.pgpubsub.schema '" + "s".repeat(64) + "': it is 64 bytes long");
    }
  }
}
