package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 28's write safety over raw HTTP (a socket, so that any {@code Host} and {@code Origin} can be sent):
 * DNS-rebinding hosts refused, the read token, the token check the page calls, and channel names that break
 * the naming rules answered without a 500.
 */
@PostgresTest
@Timeout(60)
class DashboardSecurityHttpTest {

  static DashboardServer open;
  static DashboardServer sensitive;
  static final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  static void start(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    db.execute(
        "insert into pgpubsub_notification(channel, payload, attempts, dead_at, last_error) values"
            + " ('bad name!', '{\"secret\":\"s-1\"}', 3, now(), 'java.lang.IllegalStateException: hand-written row'),"
            + " ('bad name!', '{\"secret\":\"s-2\"}', 3, now(), 'java.lang.IllegalStateException: hand-written row'),"
            + " ('fine', '{\"secret\":\"s-3\"}', 3, now(), 'java.lang.IllegalStateException: other')");
    open =
        DashboardServer.start(
            Dashboard.builder(db.dataSource()).token("w-token").allowedHosts(List.of("ops.example.com")).build(),
            new InetSocketAddress("127.0.0.1", 0));
    sensitive =
        DashboardServer.start(
            Dashboard.builder(db.dataSource()).token("w-token").readToken("r-token").build(),
            new InetSocketAddress("127.0.0.1", 0));
  }

  @AfterAll
  static void stop() {
    open.close();
    sensitive.close();
  }

  @Test
  void aDnsRebindingHostOrAForeignOriginIsRefused() throws Exception {
    int port = open.address().getPort();
    Reply evil = request(open, "GET", "/api/dead/3", "evil.example:" + port, null, null, null);
    assertThat(evil.status).isEqualTo(403);
    assertThat(evil.body).contains("Host 'evil.example:" + port + "' is not allowed").doesNotContain("s-3");
    assertThat(request(open, "GET", "/", "evil.example", null, null, null).status).isEqualTo(403);
    assertThat(request(open, "GET", "/api/dead?channel=fine", "127.0.0.1:" + port, null, null, null).body).contains("s-3");
    assertThat(request(open, "GET", "/api/dead", "localhost:" + port, null, null, null).status).isEqualTo(200);
    assertThat(request(open, "GET", "/api/dead", "[::1]:" + port, null, null, null).status).isEqualTo(200);
    assertThat(request(open, "GET", "/api/dead", "OPS.example.com:" + port, null, null, null).status)
        .as("a configured name")
        .isEqualTo(200);
    assertThat(request(open, "GET", "/api/dead", "ops.example.com.evil.example", null, null, null).status)
        .isEqualTo(403);
    Reply foreign =
        request(open, "GET", "/api/dead", "127.0.0.1:" + port, "http://evil.example:" + port, null, null);
    assertThat(foreign.status).isEqualTo(403);
    assertThat(foreign.body).contains("Origin 'http://evil.example:" + port + "' is not allowed");
    assertThat(request(open, "GET", "/api/dead", "127.0.0.1:" + port, "http://127.0.0.1:" + port, null, null).status)
        .isEqualTo(200);
  }

  @Test
  void theTokenCheckTellsWhatATokenAllows() throws Exception {
    assertThat(verify(open, "wrong").status).isEqualTo(403);
    assertThat(verify(open, "wrong").body).contains("wrong token");
    assertThat(verify(open, "w-token").body).isEqualTo("{\"read\":true,\"write\":true}");
    assertThat(verify(sensitive, "r-token").body).isEqualTo("{\"read\":true,\"write\":false}");
    assertThat(verify(sensitive, "w-token").body).isEqualTo("{\"read\":true,\"write\":true}");
    // without the CSRF token the check is refused too (it is a POST like the writes)
    Reply noCsrf = request(open, "POST", "/api/token/verify", host(open), null, "{}", "w-token");
    assertThat(noCsrf.status).isEqualTo(403);
    assertThat(noCsrf.body).contains("CSRF");
  }

  @Test
  void aReadTokenGuardsEveryReadButNotThePageItself() throws Exception {
    Reply none = request(sensitive, "GET", "/api/dead", host(sensitive), null, null, null);
    assertThat(none.status).isEqualTo(401);
    assertThat(none.body).contains("needs its read token").doesNotContain("s-3");
    assertThat(request(sensitive, "GET", "/api/overview", host(sensitive), null, null, "wrong").status).isEqualTo(401);
    assertThat(request(sensitive, "GET", "/api/dead/1/payload", host(sensitive), null, null, null).status).isEqualTo(401);
    assertThat(request(sensitive, "GET", "/api/dead?channel=fine", host(sensitive), null, null, "r-token").body).contains("s-3");
    assertThat(request(sensitive, "GET", "/api/dead", host(sensitive), null, null, "w-token").status).isEqualTo(200);
    assertThat(request(sensitive, "GET", "/", host(sensitive), null, null, null).status).isEqualTo(200);
    // the read token does not write
    Reply write = write(sensitive, "/api/dead/purge", "{\"ids\":[3]}", "r-token");
    assertThat(write.status).isEqualTo(403);
  }

  @Test
  void aChannelNameThatBreaksTheRulesIsHandledNotA500() throws Exception {
    // the page lists the hand-written channel; filtering by it and acting on it work
    Reply list = request(open, "GET", "/api/dead?channel=bad%20name!", host(open), null, null, null);
    assertThat(list.status).isEqualTo(200);
    assertThat(json.readTree(list.body).get("total").asLong()).isEqualTo(2);
    Reply unknown = write(open, "/api/dead/retry", "{\"channel\":\"not there!\"}", "w-token");
    assertThat(unknown.status).isEqualTo(400);
    assertThat(unknown.body).contains("unknown channel");
    Reply wrongType = write(open, "/api/dead/retry", "{\"filter\":{\"channel\":5}}", "w-token");
    assertThat(wrongType.status).isEqualTo(400);
    assertThat(wrongType.body).contains("filter.channel must be a string");
    Reply retried = write(open, "/api/dead/retry", "{\"channel\":\"bad name!\"}", "w-token");
    assertThat(retried.status).as(retried.body).isEqualTo(200);
    assertThat(retried.body).isEqualTo("{\"changed\":2}");
    Reply overview = request(open, "GET", "/api/overview", host(open), null, null, null);
    assertThat(overview.status).isEqualTo(200);
    JsonNode bad = null;
    for (JsonNode c : json.readTree(overview.body).get("channels")) {
      if (c.get("channel").asText().equals("bad name!")) {
        bad = c;
      }
    }
    assertThat(bad).isNotNull();
    assertThat(bad.get("pending").asLong()).isEqualTo(2);
    assertThat(bad.get("behind").asBoolean()).as("pending and no listener").isTrue();
  }

  // ---------------------------------------------------------------- helpers

  record Reply(int status, String body) {}

  private static String host(DashboardServer server) {
    return "127.0.0.1:" + server.address().getPort();
  }

  private static Reply verify(DashboardServer server, String token) throws Exception {
    return write(server, "/api/token/verify", "{}", token);
  }

  /** A POST as the page sends it: its cookie, its CSRF token, the given token. */
  private static Reply write(DashboardServer server, String path, String body, String token) throws Exception {
    Reply page = request(server, "GET", "/", host(server), null, null, null);
    Matcher csrf = Pattern.compile("name=\"pgpubsub-csrf\" content=\"([^\"]+)\"").matcher(page.body);
    assertThat(csrf.find()).isTrue();
    return request(server, "POST", path, host(server), null, body, token,
        "Cookie: " + Csrf.COOKIE + "=" + csrf.group(1), "X-CSRF-Token: " + csrf.group(1));
  }

  private static Reply request(
      DashboardServer server, String method, String path, String host, String origin, String body, String token,
      String... extra)
      throws Exception {
    try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
      s.setSoTimeout(20_000);
      byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      StringBuilder r = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n");
      if (origin != null) {
        r.append("Origin: ").append(origin).append("\r\n");
      }
      if (token != null) {
        r.append("X-Pgpubsub-Token: ").append(token).append("\r\n");
      }
      for (String h : extra) {
        r.append(h).append("\r\n");
      }
      if (body != null) {
        r.append("Content-Type: application/json\r\nContent-Length: ").append(content.length).append("\r\n");
      }
      r.append("\r\n");
      OutputStream out = s.getOutputStream();
      out.write(r.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(content);
      out.flush();
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      int status = Integer.parseInt(all.substring(9, 12));
      int split = all.indexOf("\r\n\r\n");
      return new Reply(status, split < 0 ? "" : all.substring(split + 4));
    }
  }
}
