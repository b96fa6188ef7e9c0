package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.hibernate.model.Receipt;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.hibernate.SessionFactory;
import org.hibernate.boot.model.naming.CamelCaseToUnderscoresNamingStrategy;
import org.hibernate.boot.model.naming.PhysicalNamingStrategyStandardImpl;
import org.hibernate.cfg.AvailableSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, item 2: a column name in {@code watchColumns}/{@code excludeColumns} that does not match the
 * mapping must never reach a writer. This module's entities are compiled with snake_case column names (what
 * the processor's default picks when Spring Boot's JPA auto-configuration is on the class path); Hibernate is
 * booted with Spring Boot's naming strategy ({@code CamelCaseToUnderscoresNamingStrategy}, set through
 * {@code hibernate.physical_naming_strategy} as Spring does), and with Hibernate's default one for the
 * mismatch.
 */
@Timeout(120)
class ColumnNamingTest {

  private static SessionFactory boot(TestDatabase db, String mode, Class<?> namingStrategy) {
    return TestHibernate.build(
        db,
        Map.of(
            PubSubSettings.SCHEMA_MANAGEMENT, mode,
            AvailableSettings.PHYSICAL_NAMING_STRATEGY, namingStrategy.getName(),
            AvailableSettings.HBM2DDL_AUTO, mode.equals("create") ? "create" : "none"),
        Receipt.class);
  }

  @Test
  void withSpringsNamingTheTriggerNamesTheMappedColumnsAndWritesWork() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("naming_spring");
        SessionFactory sf = boot(db, "create", CamelCaseToUnderscoresNamingStrategy.class)) {
      sf.inTransaction(
          s -> {
            Receipt i = new Receipt();
            i.id = 1L;
            i.customerName = "Ada";
            i.dueDate = java.time.LocalDate.of(2026, 1, 31);
            i.pdfBlob = new byte[] {1, 2, 3};
            s.persist(i);
          });
      // an update of an unwatched column: no notification; of the watched one: one
      sf.inTransaction(s -> s.find(Receipt.class, 1L).customerName = "Ada L.");
      sf.inTransaction(s -> s.find(Receipt.class, 1L).dueDate = java.time.LocalDate.of(2026, 2, 28));
      sf.inTransaction(s -> s.remove(s.find(Receipt.class, 1L)));
      assertThat(strings(db, "select payload->>'op' from pgpubsub_notification where channel = 'receipt' order by id"))
          .isEqualTo("INSERT,UPDATE,DELETE");
      assertThat(strings(db, "select payload->'new'->>'due_date' from pgpubsub_notification where payload->>'op' = 'UPDATE'"))
          .isEqualTo("2026-02-28");
      assertThat(strings(db, "select count(*) from pgpubsub_notification where payload->'new' ? 'pdf_blob' or payload->'old' ? 'pdf_blob'"))
          .as("the excluded column is not in the payload")
          .isEqualTo("0");
      // validate agrees
      boot(db, "validate", CamelCaseToUnderscoresNamingStrategy.class).close();
    }
  }

  @Test
  void aMismatchFailsTheBootNamingEntityColumnAndMappedColumnAndNoWriterFails() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("naming_mismatch")) {
      db.execute("create table receipt (id bigint primary key, customername varchar(255), duedate date, pdfblob bytea)");
      for (String mode : new String[] {"create", "validate"}) {
        assertThatThrownBy(() -> boot(db, mode, PhysicalNamingStrategyStandardImpl.class))
            .as(mode)
            .isInstanceOf(PubSubBootException.class)
            .hasMessageContaining("trigger channel 'receipt' of entity " + Receipt.class.getName())
            .hasMessageContaining("@TriggerChannel(watchColumns) names \"dueDate\"")
            .hasMessageContaining("attribute dueDate maps to column duedate")
            .hasMessageContaining("@TriggerChannel(excludeColumns) names \"pdfBlob\"")
            .hasMessageContaining("attribute pdfBlob maps to column pdfblob")
            .hasMessageContaining("-Apgpubsub.naming");
      }
      // nothing was installed, and the application's own writes work
      assertThat(strings(db, "select count(*) from pg_trigger where tgrelid = 'receipt'::regclass and not tgisinternal"))
          .isEqualTo("0");
      db.execute("insert into receipt(id, customername, duedate) values (1, 'Ada', date '2026-01-31')");
      db.execute("update receipt set customername = 'Ada L.', duedate = date '2026-02-28' where id = 1");
      db.execute("delete from receipt where id = 1");
    }
  }

  @Test
  void theGeneratedScriptRefusesATableWithoutTheColumnsItNames() throws Exception {
    String script;
    try (InputStream in = Receipt.class.getClassLoader().getResourceAsStream("META-INF/pgpubsub/receipt.sql")) {
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    try (TestDatabase db = PostgresServer.get().createDatabase("naming_guard")) {
      // the table as Hibernate's default naming makes it (verbatim column names)
      db.execute("create table receipt (id bigint primary key, customername varchar(255), duedate date, pdfblob bytea)");
      db.execute(io.pgpubsub.NotificationTable.ddl("public"));
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        assertThatThrownBy(() -> s.execute(script))
            .isInstanceOf(SQLException.class)
            .hasMessageContaining("pgpubsub channel receipt: table \"receipt\" has no column \"due_date\"")
            .hasMessageContaining("@TriggerChannel(watchColumns = \"dueDate\") on entity " + Receipt.class.getCanonicalName())
            .hasMessageContaining("-Apgpubsub.naming=snake_case");
      }
      assertThat(strings(db, "select count(*) from pg_trigger where tgrelid = 'receipt'::regclass and not tgisinternal"))
          .isEqualTo("0");
      db.execute("insert into receipt(id, customername, duedate) values (1, 'Ada', date '2026-01-31')");
      db.execute("update receipt set duedate = date '2026-02-28' where id = 1");
    }
  }

  /** The query's single column, rows joined with commas. */
  private static String strings(TestDatabase db, String sql) throws Exception {
    StringBuilder b = new StringBuilder();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        b.append(b.length() == 0 ? "" : ",").append(rs.getString(1));
      }
    }
    return b.toString();
  }
}
