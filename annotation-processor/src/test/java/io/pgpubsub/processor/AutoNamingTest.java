package io.pgpubsub.processor;

import static com.google.testing.compile.CompilationSubject.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.testing.compile.Compilation;
import com.google.testing.compile.Compiler;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 11, item 2: the default column naming ({@code auto}) follows Spring Boot when its Hibernate JPA
 * auto-configuration is on the compile class path, so a Spring Boot application needs no processor option;
 * and a trigger whose columns the table lacks is refused by its own DDL before it can break a writer.
 */
@PostgresTest
@Timeout(120)
class AutoNamingTest {

  private static final String DDL = "META-INF/pgpubsub/invoice.sql";

  /** The billing fixture with the given stub sources (Spring Boot's class, by name) and options. */
  private static Compilation compile(List<String> stubs, Map<String, String> options) {
    List<JavaFileObject> sources = new ArrayList<>(Fixtures.sources("good/spring"));
    stubs.forEach(s -> sources.addAll(Fixtures.sources(s)));
    List<String> args = new ArrayList<>();
    options.forEach((k, v) -> args.add("-A" + k + "=" + v));
    Compilation c = Compiler.javac().withProcessors(new PgPubSubProcessor()).withOptions(args).compile(sources);
    assertThat(c).succeededWithoutWarnings();
    return c;
  }

  @Test
  void springBootOnTheClassPathMeansSnakeCaseElseVerbatimAndTheOptionWins() {
    for (String boot : List.of("stubs/boot3", "stubs/boot4")) {
      assertThat(Fixtures.generated(compile(List.of(boot), Map.of()), DDL))
          .as(boot)
          .contains("OLD.\"due_date\" IS NOT DISTINCT FROM NEW.\"due_date\"")
          .contains("ARRAY['pdf_blob']::text[]");
      assertThat(Fixtures.generated(compile(List.of(boot), Map.of("pgpubsub.naming", "verbatim")), DDL))
          .as(boot + " with naming=verbatim")
          .contains("OLD.\"duedate\" IS NOT DISTINCT FROM NEW.\"duedate\"");
    }
    assertThat(Fixtures.generated(compile(List.of(), Map.of()), DDL))
        .contains("OLD.\"duedate\" IS NOT DISTINCT FROM NEW.\"duedate\"")
        .contains("ARRAY['pdfblob']::text[]");
    assertThat(Fixtures.generated(compile(List.of(), Map.of("pgpubsub.naming", "auto")), DDL))
        .contains("OLD.\"duedate\"");
    assertThat(Fixtures.generated(compile(List.of(), Map.of("pgpubsub.naming", "snake_case")), DDL))
        .contains("OLD.\"due_date\"");
  }

  @Test
  void onSpringBootsTableTheAutoTriggerWorksAndAMismatchedOneRefusesToInstall(TestDatabase db) throws Exception {
    // the table as Hibernate with Spring Boot's CamelCaseToUnderscoresNamingStrategy creates it
    db.execute(
        "CREATE TABLE invoice (id bigint PRIMARY KEY, customer_name varchar(255), due_date date, pdf_blob bytea)");
    db.execute(Fixtures.generated(compile(List.of("stubs/boot3"), Map.of()), "META-INF/pgpubsub.sql"));
    db.execute("INSERT INTO invoice VALUES (1, 'Ada', date '2026-01-31', '\\x010203')");
    db.execute("UPDATE invoice SET customer_name = 'Ada L.' WHERE id = 1"); // not watched: no notification
    db.execute("UPDATE invoice SET due_date = date '2026-02-28' WHERE id = 1");
    db.execute("DELETE FROM invoice WHERE id = 1");
    assertThat(query(db, "SELECT string_agg(payload->>'op', ',' ORDER BY id) FROM pgpubsub_notification"))
        .isEqualTo("INSERT,UPDATE,DELETE");
    assertThat(query(db, "SELECT count(*) FROM pgpubsub_notification WHERE payload->'new' ? 'pdf_blob'"))
        .isEqualTo("0");

    // compiled without Spring Boot on the class path (or with naming=verbatim): the script stops at its guard
    String verbatim = Fixtures.generated(compile(List.of(), Map.of()), DDL);
    // a channel has one trigger per operation (statement-level INSERT/DELETE, row-level UPDATE): drop them all
    db.execute(
        "DO $$ DECLARE t text; BEGIN FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'invoice'::regclass"
            + " AND NOT tgisinternal LOOP EXECUTE format('DROP TRIGGER %I ON invoice', t); END LOOP; END $$");
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute(verbatim))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining(
              "pgpubsub channel invoice: table \"invoice\" has no column \"duedate\" (named by"
                  + " @TriggerChannel(watchColumns = \"dueDate\") on entity com.example.billing.Invoice,"
                  + " attribute dueDate)")
          .hasMessageContaining("-Apgpubsub.naming=verbatim")
          .hasMessageContaining("snake_case for Spring Boot's CamelCaseToUnderscoresNamingStrategy");
    }
    assertThat(query(db, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'invoice'::regclass AND NOT tgisinternal"))
        .isEqualTo("0");
    db.execute("INSERT INTO invoice VALUES (2, 'Bob', date '2026-03-31', NULL)");
    db.execute("UPDATE invoice SET due_date = date '2026-04-30' WHERE id = 2");
  }

  private static String query(TestDatabase db, String sql) throws SQLException {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
