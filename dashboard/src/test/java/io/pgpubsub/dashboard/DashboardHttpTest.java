package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dashboard's JSON API, mounted with {@link Dashboard#httpHandler()} under paths of one JDK HTTP server
 * (as an application mounts it): the dead-letter filters, and who may write in each mode.
 */
@PostgresTest
@Timeout(60)
class DashboardHttpTest {

  static HttpServer server;
  static String base;
  static final HttpClient http = HttpClient.newHttpClient();
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    db.execute(
        "insert into pgpubsub_notification(channel, payload, attempts, dead_at, last_error) values"
            + " ('files', '{\"n\":1}', 3, now() - interval '2 hours', 'java.io.IOException: disk full\n\tat x.Y.z(Y.java:1)'),"
            + " ('files', '{\"n\":2}', 3, now(), 'java.lang.IllegalStateException: bad state'),"
            + " ('mails', '{\"n\":3}', 3, now() - interval '2 days', 'java.io.IOException: smtp down'),"
            + " ('mails', '{\"n\":4}', 0, null, null)");
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/ops", Dashboard.builder(db.dataSource()).token("tok").build().httpHandler());
    server.createContext("/ro", Dashboard.builder(db.dataSource()).token("tok").readOnly(true).build().httpHandler());
    server.createContext("/notoken", Dashboard.builder(db.dataSource()).build().httpHandler());
    server.createContext("/guarded", Dashboard.builder(db.dataSource()).allowWritesWithoutToken().build().httpHandler());
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  @Test
  void deadLettersFilterByChannelErrorClassAndAge() throws Exception {
    assertThat(ids("")).as("newest first").containsExactly(2L, 1L, 3L);
    assertThat(ids("?sort=id&dir=asc")).containsExactly(1L, 2L, 3L);
    assertThat(ids("?channel=files")).containsExactly(2L, 1L);
    assertThat(ids("?error=java.io.IOException")).containsExactly(1L, 3L);
    assertThat(ids("?error=java.io.IOException&channel=mails")).containsExactly(3L);
    assertThat(ids("?age=lt1h")).containsExactly(2L);
    assertThat(ids("?age=gt1h")).containsExactly(1L, 3L);
    assertThat(ids("?age=lt1d")).containsExactly(2L, 1L);
    assertThat(ids("?age=gt1d")).containsExactly(3L);
    JsonNode list = getJson("/ops/api/dead");
    assertThat(list.get("errorClasses").toString()).isEqualTo("[\"java.io.IOException\",\"java.lang.IllegalStateException\"]");
    assertThat(list.get("channels").toString()).isEqualTo("[\"files\",\"mails\"]");
    assertThat(list.get("rows").get(1).get("id").asLong()).isEqualTo(1L);
    assertThat(list.get("rows").get(1).get("error").asText()).as("the first line only").isEqualTo("java.io.IOException: disk full");
    JsonNode detail = getJson("/ops/api/dead/1");
    assertThat(detail.get("error").asText()).contains("\tat x.Y.z(Y.java:1)");
    assertThat(detail.get("attempts").asInt()).isEqualTo(3);
    assertThat(get("/ops/api/dead/4").statusCode()).as("a pending row is not a dead letter").isEqualTo(404);
    assertThat(get("/ops/api/dead?age=forever").statusCode()).isEqualTo(400);
    assertThat(get("/ops/api/dead?channel=nope").statusCode()).isEqualTo(400);
  }

  @Test
  void theBarePathRedirectsAndEachModeGuardsWrites() throws Exception {
    HttpResponse<String> bare = get("/ops");
    assertThat(bare.statusCode()).isEqualTo(308);
    assertThat(bare.headers().firstValue("location")).hasValue("/ops/");

    assertThat(post("/ro", "tok").statusCode()).as("read-only, even with the token").isEqualTo(403);
    assertThat(post("/ro", "tok").body()).contains("read-only");
    assertThat(getJson("/ro/api/overview").get("readOnly").asBoolean()).isTrue();

    assertThat(getJson("/notoken/api/overview").get("readOnly").asBoolean())
        .as("no token configured: read-only")
        .isTrue();
    assertThat(post("/notoken", null).body()).contains("writes need a token");

    assertThat(post("/ops", "wrong").statusCode()).isEqualTo(403);
    HttpResponse<String> guarded = post("/guarded", null);
    assertThat(guarded.statusCode()).as("behind the application's security: CSRF only").isEqualTo(200);
    assertThat(guarded.body()).isEqualTo("{\"changed\":0}");
    assertThat(get("/ops/api/overview").headers().firstValue("cache-control")).hasValue("no-store");
  }

  private List<Long> ids(String query) throws Exception {
    List<Long> out = new ArrayList<>();
    getJson("/ops/api/dead" + query).get("rows").forEach(r -> out.add(r.get("id").asLong()));
    return out;
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode getJson(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }

  /** Retries the dead letters of channel "nothing-dead" (none) from {@code mount}, as the page would. */
  private HttpResponse<String> post(String mount, String token) throws Exception {
    HttpResponse<String> page = get(mount + "/");
    String cookie = page.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
    Matcher csrf = Pattern.compile("name=\"pgpubsub-csrf\" content=\"([^\"]+)\"").matcher(page.body());
    assertThat(csrf.find()).isTrue();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + mount + "/api/dead/retry"))
            .header("Content-Type", "application/json")
            .header("Cookie", cookie)
            .header("X-CSRF-Token", csrf.group(1))
            .POST(HttpRequest.BodyPublishers.ofString("{\"ids\":[4]}"));
    if (token != null) {
      b.header("X-Pgpubsub-Token", token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
