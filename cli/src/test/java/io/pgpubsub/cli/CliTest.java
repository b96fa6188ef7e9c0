package io.pgpubsub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** Drives the CLI in-process (and once as a separate process) against a real PostgreSQL. */
@PostgresTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliTest {

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PgPubSubCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  static String url;

  @BeforeAll
  static void schema(TestDatabase db) {
    url = db.jdbcUrlWithCredentials();
    db.execute(
        "create table ticket(id bigint primary key, title text);"
            + " create table ticket_log(ticket_id bigint primary key, attempt int not null)");
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
  @Order(1)
  void everyCommandHasHelp() {
    for (String[] args :
        List.of(
            new String[] {"--help"},
            new String[] {"listen", "--help"},
            new String[] {"relay", "--help"},
            new String[] {"install", "--help"},
            new String[] {"status", "--help"},
            new String[] {"dead", "--help"},
            new String[] {"dead", "list", "--help"},
            new String[] {"dead", "retry", "--help"},
            new String[] {"dead", "purge", "--help"})) {
      Result r = run(args);
      assertThat(r.code()).as(String.join(" ", args)).isZero();
      assertThat(r.out()).as(String.join(" ", args)).contains("Usage: pgpubsub");
    }
  }

  @Test
  @Order(1)
  void mainHelpSummariesAreWholeSentencesAndUsageErrorsAreShort() {
    Result help = run("--help");
    assertThat(help.code()).isZero();
    String commands = help.out().substring(help.out().indexOf("Commands:"), help.out().indexOf("Your application"));
    for (String command : List.of("listen", "relay", "install", "status", "dead")) {
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(?m)^  " + command + "\\s+(.*(?:\\n {5,}.*)*)").matcher(commands);
      assertThat(m.find()).as(command + " listed").isTrue();
      assertThat(m.group(1).strip()).as("summary of " + command + " is a whole sentence").endsWith(".");
    }

    Result unknown = run("listen", "--no-such-option");
    assertThat(unknown.code()).isEqualTo(ExitCode.USAGE);
    assertThat(unknown.out()).isEmpty();
    assertThat(unknown.err().strip().split("\n"))
        .as("a usage error is the error and a pointer to --help, not the whole usage text")
        .containsExactly("pgpubsub: Unknown option: '--no-such-option'", "Try 'pgpubsub listen --help' for more information.");
  }

  @Test
  @Order(2)
  void optionsAreCheckedBeforeTheDatabaseOrHibernateIsTouched() {
    // an unreachable database: every one of these must fail on the option, with exit 2, not on the connection
    String nowhere = "--jdbc-url=jdbc:postgresql://127.0.0.1:1/nothing";
    Result channel = run("listen", nowhere, "--channels=ticket,nope");
    assertThat(channel.code()).isEqualTo(ExitCode.USAGE);
    assertThat(channel.err()).contains("--channels: unknown channel 'nope'; channels on the class path: [ticket]");

    Result workers = run("listen", nowhere, "--workers=0");
    assertThat(workers.code()).isEqualTo(ExitCode.USAGE);
    assertThat(workers.err()).contains("--workers must be at least 1, got 0");

    Result management = run("listen", nowhere, "--schema-management=drop");
    assertThat(management.code()).isEqualTo(ExitCode.USAGE);
    assertThat(management.err())
        .contains("Invalid value for option '--schema-management': expected one of [create, validate, none]");

    Result level = run("listen", nowhere, "--log-level=loud");
    assertThat(level.code()).isEqualTo(ExitCode.USAGE);
    assertThat(level.err()).contains("Invalid value for option '--log-level': expected one of [error, warn, info, debug, trace]");

    Result batch = run("listen", nowhere, "--batch-size=-1");
    assertThat(batch.code()).isEqualTo(ExitCode.USAGE);
    assertThat(batch.err()).contains("--batch-size must be at least 1, got -1");

    Result timeout = run("listen", nowhere, "--callback-timeout=0s");
    assertThat(timeout.code()).isEqualTo(ExitCode.USAGE);
    assertThat(timeout.err()).contains("--callback-timeout must be a positive duration, got PT0S");

    Result classpath = run("listen", nowhere, "--classpath=/no/such/folder");
    assertThat(classpath.code()).isEqualTo(ExitCode.USAGE);
    assertThat(classpath.err()).contains("--classpath: no such file or folder: /no/such/folder");
  }

  @Test
  @Order(2)
  void aRoleThatDoesNotExistIsNotReportedAsAWrongPassword(TestDatabase db) {
    // with password authentication PostgreSQL answers "password authentication failed" for an unknown role on
    // purpose (28P01, it does not reveal which roles exist); with trust or peer it says the role does not exist
    org.junit.jupiter.api.Assumptions.assumeTrue(db.password() == null, "the test server uses trust authentication");
    String withoutUser = db.jdbcUrl().replaceAll("([?&])user=[^&]*&?", "$1").replaceAll("[?&]$", "");
    Result r = run("status", "--jdbc-url=" + withoutUser, "--user=no_such_role");
    assertThat(r.code()).isEqualTo(ExitCode.DATABASE_UNAVAILABLE);
    assertThat(r.err())
        .contains("role \"no_such_role\" does not exist")
        .doesNotContain("password")
        .doesNotContain("authentication failed");
  }

  @Test
  @Order(2)
  void installWithoutAnyChannelOnTheClassPathSaysSoAndExitsNonZero(TestDatabase db) throws Exception {
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (java.net.URLClassLoader empty = new java.net.URLClassLoader(new java.net.URL[0], null)) {
      Thread.currentThread().setContextClassLoader(empty); // an application class path without a registry
      Result r = run("install", "--apply", "--jdbc-url=" + url);
      assertThat(r.code()).isEqualTo(ExitCode.NOTHING_MATCHED);
      assertThat(r.err()).contains("nothing installed: no generated channel registry on the class path").contains("--classpath");
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
    assertThat(count(db, "select count(*) from pg_tables where tablename = 'pgpubsub_notification'")).isZero();
  }

  @Test
  @Order(2)
  void badArgumentsAndUnreachableDatabasesGiveOneClearLine(TestDatabase db) {
    Result unknown = run("listen", "--no-such-option");
    assertThat(unknown.code()).isEqualTo(ExitCode.USAGE);
    assertThat(unknown.err()).contains("Unknown option: '--no-such-option'");

    Result noUrl = run("status", "--jdbc-url=");
    assertThat(noUrl.code()).isEqualTo(ExitCode.USAGE);
    assertThat(noUrl.err().strip()).startsWith("pgpubsub: no database given").doesNotContain("\n");

    Result badDuration = run("listen", "--jdbc-url=" + url, "--poll-interval=soon");
    assertThat(badDuration.code()).isEqualTo(ExitCode.USAGE);
    assertThat(badDuration.err()).contains("'soon' is not a duration");

    Result unreachable = run("status", "--jdbc-url=jdbc:postgresql://127.0.0.1:1/nothing");
    assertThat(unreachable.code()).isEqualTo(ExitCode.DATABASE_UNAVAILABLE);
    assertThat(unreachable.err().strip())
        .startsWith("pgpubsub: cannot connect to jdbc:postgresql://127.0.0.1:1/nothing")
        .doesNotContain("\n")
        .doesNotContain("at org.");

    Result missingDb = run("status", "--jdbc-url=" + url.replace(db.name(), db.name() + "_missing"));
    assertThat(missingDb.code()).isEqualTo(ExitCode.DATABASE_UNAVAILABLE);
    assertThat(missingDb.err()).contains("the database does not exist");

    Result notInstalled = run("status", "--jdbc-url=" + url);
    assertThat(notInstalled.code()).isEqualTo(ExitCode.NOT_INSTALLED);
    assertThat(notInstalled.err()).contains("run 'pgpubsub install --apply' first");
  }

  @Test
  @Order(3)
  void installPrintsThenAppliesTheDdl(TestDatabase db) throws Exception {
    Result printed = run("install");
    assertThat(printed.code()).isZero();
    assertThat(printed.out())
        .contains("CREATE TABLE IF NOT EXISTS public.pgpubsub_notification")
        .contains("-- channel ticket")
        .contains("CREATE TRIGGER");
    assertThat(count(db, "select count(*) from pg_tables where tablename = 'pgpubsub_notification'")).isZero();

    Result applied = run("install", "--apply", "--jdbc-url=" + url);
    assertThat(applied.code()).as(applied.err()).isZero();
    assertThat(applied.out()).contains("1 trigger(s)");
    assertThat(count(db, "select count(*) from pg_trigger where tgname = 'pgpubsub_ticket'")).isOne();
    assertThat(run("install", "--apply", "--jdbc-url=" + url).code()).as("idempotent").isZero();
  }

  @Test
  @Order(4)
  void listenDrainsWhatIsStoredAndStatusAndDeadShowAndChangeTheRightRows(TestDatabase db) throws Exception {
    db.execute(
        "insert into ticket select g, 'ticket ' || g from generate_series(1, 50) g;"
            + " insert into ticket values (1000, 'poison pill')");
    Result status = run("status", "--jdbc-url=" + url);
    assertThat(status.code()).isZero();
    assertThat(status.out()).containsPattern("ticket\\s+51\\s+0\\s+0\\s");

    Result listen =
        run("listen", "--jdbc-url=" + url, "--drain", "--max-attempts=2", "--retry-delay=10ms", "--log-level=warn");
    assertThat(listen.code()).as(listen.err()).isZero();
    assertThat(listen.out())
        .contains("listening on [ticket]")
        .as("the CLI's default batch size is the library's")
        .contains("2 worker(s), batch size 200")
        .contains("pgpubsub: drained: processed 50, failed 2, dead 1")
        .contains("stopped");
    assertThat(count(db, "select count(*) from ticket_log")).isEqualTo(50);
    assertThat(count(db, "select count(*) from pgpubsub_notification where dead_at is null")).isZero();

    Result after = run("status", "--jdbc-url=" + url);
    assertThat(after.out()).containsPattern("ticket\\s+0\\s+0\\s+1\\s");

    Result list = run("dead", "list", "--jdbc-url=" + url);
    assertThat(list.code()).isZero();
    assertThat(list.out()).contains("ticket").contains("IllegalStateException: cannot handle poison pill").contains("1 dead");
    long deadId = count(db, "select id from pgpubsub_notification where dead_at is not null");

    Result missing = run("dead", "purge", "--jdbc-url=" + url, "--id=" + (deadId + 1000));
    assertThat(missing.code()).as("a purge that matched nothing").isEqualTo(ExitCode.NOTHING_MATCHED);
    assertThat(missing.err()).contains("no dead notification with id " + (deadId + 1000));
    Result noneOnChannel = run("dead", "retry", "--jdbc-url=" + url, "--channel=other");
    assertThat(noneOnChannel.code()).isEqualTo(ExitCode.NOTHING_MATCHED);
    assertThat(noneOnChannel.err()).contains("no dead notification on channel 'other': nothing to retry");

    Result retry = run("dead", "retry", "--jdbc-url=" + url, "--id=" + deadId);
    assertThat(retry.code()).isZero();
    assertThat(retry.out()).contains("retrying 1 notification(s)");
    assertThat(count(db, "select count(*) from pgpubsub_notification where dead_at is null and attempts = 0")).isOne();

    // it fails again and is dead again; then purge removes it for good
    Result again = run("listen", "--jdbc-url=" + url, "--drain", "--max-attempts=1", "--log-level=error");
    assertThat(again.code()).isZero();
    assertThat(again.out()).contains("pgpubsub: drained: processed 0, failed 1, dead 1");
    assertThat(count(db, "select count(*) from pgpubsub_notification where dead_at is not null")).isOne();
    assertThat(run("dead", "retry", "--jdbc-url=" + url, "--all").out()).contains("retrying 1 notification(s)");
    assertThat(run("listen", "--jdbc-url=" + url, "--drain", "--max-attempts=1", "--log-level=error").code()).isZero();
    Result both = run("dead", "purge", "--jdbc-url=" + url, "--all", "--channel=ticket");
    assertThat(both.code()).as("--all and --channel exclude each other").isEqualTo(ExitCode.USAGE);
    Result purge = run("dead", "purge", "--jdbc-url=" + url, "--channel=ticket");
    assertThat(purge.out()).contains("purged 1 notification(s)");
    assertThat(count(db, "select count(*) from pgpubsub_notification")).isZero();
    assertThat(count(db, "select count(*) from ticket_log")).as("nothing processed twice").isEqualTo(50);
  }

  @Test
  @Order(5)
  void listenAsAProcessStopsOnSigtermWithExitZero(TestDatabase db) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(PgPubSubCli.class.getName());
    command.add("listen");
    command.add("--jdbc-url=" + url);
    command.add("--log-level=warn");
    java.nio.file.Path log = java.nio.file.Files.createTempFile("pgpubsub-listen", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!java.nio.file.Files.readString(log).contains("listening on")) {
        assertThat(p.isAlive()).as("listen is running: " + java.nio.file.Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as("listen started in time").isLessThan(deadline);
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      }
      db.execute("insert into ticket select g, 'live ' || g from generate_series(2001, 2020) g");
      while (count(db, "select count(*) from ticket_log where ticket_id > 2000") < 20) {
        assertThat(System.nanoTime()).as("live notifications processed in time").isLessThan(deadline);
        java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
      }
      Result live = run("status", "--jdbc-url=" + url);
      assertThat(live.out()).as("the running listener is seen").containsPattern("ticket\\s+0\\s+0\\s+0\\s+-\\s+1\\s+\\d");
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(java.nio.file.Files.readString(log)).isZero();
      String output = java.nio.file.Files.readString(log);
      assertThat(output).contains("stopping").contains("stopped");
      assertThat(output)
          .as("--log-level=warn also quiets Hibernate and HikariCP, and there is no built-in pool warning")
          .doesNotContain("[INFO]")
          .doesNotContain("INFO ")
          .doesNotContain("HHH10001002")
          .doesNotContain("not intended for production");
      assertThat(run("status", "--jdbc-url=" + url).out())
          .as("a stopped listener removes its stats row")
          .containsPattern("ticket\\s+0\\s+0\\s+0\\s+-\\s+0\\s+-");
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  @Order(6)
  void statusShowsTheKeysOfOrderedChannels(TestDatabase db) throws Exception {
    db.execute(
        "insert into pgpubsub_notification(channel, payload, created_at, attempts, next_attempt_at, dead_at, order_key)"
            + " values ('keyed', '{}', now() - interval '30 seconds', 1, now() + interval '1 minute', null, 'a'),"
            + " ('keyed', '{}', now() - interval '20 seconds', 0, null, null, 'a'),"
            + " ('keyed', '{}', now() - interval '10 seconds', 0, null, null, 'b')");
    try {
      Result status = run("status", "--jdbc-url=" + url);
      assertThat(status.code()).isZero();
      assertThat(status.out())
          .contains("ORDERED CHANNEL")
          .as("2 keys waiting, 1 held back by a retry, none dead, the oldest waiting key is a")
          .containsPattern("keyed\\s+2\\s+1\\s+0\\s+\\d+\\.\\ds\\s+a\\n");
    } finally {
      db.execute("delete from pgpubsub_notification where channel = 'keyed'");
    }
  }
}
