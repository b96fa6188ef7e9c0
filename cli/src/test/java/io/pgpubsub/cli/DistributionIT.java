package io.pgpubsub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.JavaSources;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as a user runs it: the build's {@code bin/pgpubsub} launcher (with its {@code lib/}), a tiny
 * application compiled here with the annotation processor, and a real PostgreSQL: {@code --help}, {@code install
 * --apply}, {@code listen --drain} and {@code status}, each a separate process.
 */
@PostgresTest
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class DistributionIT {

  record Run(int code, String out, String err) {}

  static final Map<String, String> APP =
      Map.of(
          "app.tickets.Ticket",
          """
          package app.tickets;

          import io.pgpubsub.TriggerChannel;
          import jakarta.persistence.Entity;
          import jakarta.persistence.Id;

          @Entity
          @TriggerChannel
          public class Ticket {
            @Id public Long id;
            public String title;
          }
          """,
          "app.tickets.audit.AuditEntry",
          """
          package app.tickets.audit;

          import jakarta.persistence.Entity;
          import jakarta.persistence.Id;

          /** Not a channel: listen must map it anyway, because a callback persists it. */
          @Entity
          public class AuditEntry {
            @Id public Long ticketId;
            public String note;
          }
          """,
          "app.tickets.TicketListeners",
          """
          package app.tickets;

          import app.tickets.audit.AuditEntry;
          import io.pgpubsub.PostInsertListener;
          import org.hibernate.Session;

          public class TicketListeners {
            @PostInsertListener
            public void audit(Ticket ticket, Session session) {
              if (ticket.title.startsWith("poison")) {
                throw new IllegalStateException("cannot handle " + ticket.title);
              }
              AuditEntry entry = new AuditEntry();
              entry.ticketId = ticket.id;
              entry.note = "seen " + ticket.title;
              session.persist(entry);
            }
          }
          """);

  static Path distribution() {
    String dir = System.getProperty("pgpubsub.distribution");
    assertThat(dir).as("system property pgpubsub.distribution (set by the build)").isNotNull();
    Path home = Path.of(dir);
    assertThat(home.resolve("bin/pgpubsub")).as("the launcher").isExecutable();
    assertThat(home.resolve("bin/pgpubsub.bat")).exists();
    assertThat(home.resolve("lib")).isDirectory();
    return home;
  }

  static Run pgpubsub(Path home, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/pgpubsub").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("PGPUBSUB_CLASSPATH");
    pb.environment().remove("PGPUBSUB_JDBC_URL");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile("pgpubsub-out", ".txt");
    Path err = Files.createTempFile("pgpubsub-err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    try {
      assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("pgpubsub " + String.join(" ", args) + " finished").isTrue();
      return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  static long count(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void helpInstallListenDrainAndStatusForATinyApplication(TestDatabase db, @TempDir Path dir) throws Exception {
    Path home = distribution();
    Path classes = JavaSources.compile(dir, APP);
    assertThat(classes.resolve("META-INF/services/io.pgpubsub.spi.ChannelRegistry")).as("the processor ran").exists();
    String url = "--jdbc-url=" + db.jdbcUrlWithCredentials();
    String cp = "--classpath=" + classes;

    Run help = pgpubsub(home, Map.of(), "--help");
    assertThat(help.code()).as(help.err()).isZero();
    assertThat(help.out()).contains("Usage: pgpubsub").contains("listen").contains("--classpath");

    db.execute(
        "create table ticket(id bigint primary key, title text);"
            + " create table auditentry(ticketid bigint primary key, note text)");
    Run install = pgpubsub(home, Map.of(), "install", "--apply", cp, url);
    assertThat(install.code()).as(install.err()).isZero();
    assertThat(install.out()).contains("installed the notification table in schema public and 1 trigger(s)");

    db.execute(
        "insert into ticket select g, 'ticket ' || g from generate_series(1, 20) g;"
            + " insert into ticket values (99, 'poison pill')");

    // the application's classes through the environment this time; every log at info, to see Hibernate's and
    // HikariCP's lines go through the distribution's SLF4J binding
    Run listen =
        pgpubsub(
            home,
            Map.of("PGPUBSUB_CLASSPATH", classes.toString()),
            "listen", url, "--drain", "--max-attempts=2", "--retry-delay=10ms", "--log-level=info");
    assertThat(listen.code()).as(listen.out() + listen.err()).isZero();
    assertThat(listen.out())
        .as(listen.err())
        .contains("pgpubsub: mapping 2 entities from [app.tickets]")
        .contains("listening on [ticket]")
        .contains("pgpubsub: drained: processed 20, failed 2, dead 1")
        .contains("pgpubsub: stopped");
    assertThat(listen.err())
        .as("Hibernate and HikariCP log through the distribution's binding at the chosen level")
        .contains("[INFO] org.hibernate")
        .contains("[INFO] com.zaxxer.hikari")
        .doesNotContain("HHH10001002")
        .doesNotContain("not intended for production")
        .doesNotContain("[DEBUG]");
    assertThat(count(db, "select count(*) from auditentry")).as("a callback persisted a non-channel entity").isEqualTo(20);

    Run status = pgpubsub(home, Map.of(), "status", cp, url);
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.out()).containsPattern("(?m)^ticket\\s+0\\s+0\\s+1\\s+-\\s+0\\s");

    Run nothing = pgpubsub(home, Map.of(), "dead", "purge", url, "--id=12345");
    assertThat(nothing.code()).isEqualTo(ExitCode.NOTHING_MATCHED);
    assertThat(nothing.err()).contains("no dead notification with id 12345");
    assertThat(File.separatorChar).isEqualTo('/'); // the launcher tested here is the POSIX one
  }
}
