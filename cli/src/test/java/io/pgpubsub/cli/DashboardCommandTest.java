package io.pgpubsub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pgpubsub dashboard}: serves the page on 127.0.0.1 and prints its URL; a random write token goes to a
 * file readable by its owner only, never to stdout.
 */
@PostgresTest
@Timeout(60)
class DashboardCommandTest {

  @Test
  void servesOnLoopbackWithTheTokenInAFileNotOnStdoutAndStopsWhenInterrupted(TestDatabase db, @TempDir Path dir)
      throws Exception {
    Path tokenFile = dir.resolve("secrets").resolve("dashboard.token");
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    db.execute("insert into pgpubsub_notification(channel, payload, dead_at, last_error) values"
        + " ('billing', '{}', now(), 'java.lang.IllegalStateException: x')");
    StringWriter out = new StringWriter();
    Thread[] runner = new Thread[1];
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    runner[0] =
        new Thread(
            () ->
                exit.complete(
                    PgPubSubCli.execute(
                        new String[] {
                          "dashboard", "--jdbc-url=" + db.jdbcUrlWithCredentials(), "--port=0", "--token-file=" + tokenFile
                        },
                        new PrintWriter(out, true),
                        new PrintWriter(new StringWriter(), true))),
            "dashboard-command");
    runner[0].start();
    Pattern printed =
        Pattern.compile("(?s)pgpubsub dashboard at (http://127\\.0\\.0\\.1:(\\d+)/)\\R.*write token in (\\S+): ");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Matcher m = printed.matcher("");
    while (!(m = printed.matcher(out.toString())).find()) {
      assertThat(System.nanoTime() - deadline).as("the URL is printed; output so far: " + out).isNegative();
      assertThat(exit).as("still running; output: " + out).isNotDone();
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    String base = m.group(1);
    assertThat(Path.of(m.group(3))).isEqualTo(tokenFile.toAbsolutePath());
    String token = Files.readString(tokenFile).strip();
    assertThat(token).hasSizeGreaterThan(20);
    assertThat(out.toString()).as("the token is not printed").doesNotContain(token);
    if (tokenFile.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> overview =
        http.send(HttpRequest.newBuilder(URI.create(base + "api/overview")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(overview.statusCode()).isEqualTo(200);
    assertThat(overview.body()).contains("\"channel\":\"billing\"").contains("\"dead\":1").contains("\"readOnly\":false");

    // a write with the printed token and the page's CSRF token works; the same without the token is refused
    HttpResponse<String> page =
        http.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString());
    String cookie = page.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
    Matcher csrf = Pattern.compile("name=\"pgpubsub-csrf\" content=\"([^\"]+)\"").matcher(page.body());
    assertThat(csrf.find()).isTrue();
    HttpRequest.Builder purge =
        HttpRequest.newBuilder(URI.create(base + "api/dead/purge"))
            .header("Content-Type", "application/json")
            .header("Cookie", cookie)
            .header("X-CSRF-Token", csrf.group(1))
            .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"billing\"}"));
    assertThat(http.send(purge.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(403);
    HttpResponse<String> done =
        http.send(purge.header("X-Pgpubsub-Token", token).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(done.statusCode()).isEqualTo(200);
    assertThat(done.body()).isEqualTo("{\"changed\":1}");

    runner[0].interrupt();
    assertThat(exit.get(20, TimeUnit.SECONDS)).isZero();
  }
}
