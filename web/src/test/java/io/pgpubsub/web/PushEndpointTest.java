package io.pgpubsub.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.Streams;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The SSE endpoint in a real servlet container (embedded Tomcat) on a real PostgreSQL, read by a plain Java HTTP
 * client: who sees what (live and on replay), what is never exposed, resume across nodes, the limits.
 */
@PostgresTest
@Timeout(120)
class PushEndpointTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final Duration WAIT = Duration.ofSeconds(20);
  static final AtomicInteger TABLES = new AtomicInteger();
  static TestDatabase db;
  static final Streams STREAMS = Streams.create("public");

  @BeforeAll
  static void install(TestDatabase database) throws Exception {
    db = database;
    try (Connection c = db.connect()) {
      STREAMS.install(c);
    }
  }

  /** A fresh captured table {@code orders_N} (its stream has the same name). */
  static String newOrdersTable() throws Exception {
    String table = "orders_" + TABLES.incrementAndGet();
    db.execute("create table " + table + " (id bigint primary key, owner text not null, status text not null,"
        + " password_hash text, note text)");
    try (Connection c = db.connect()) {
      STREAMS.capture(c, table, table);
    }
    return table;
  }

  static void insert(String table, long id, String owner, String status, String note) throws Exception {
    try (Connection c = db.connect()) {
      insert(c, table, id, owner, status, note);
    }
  }

  static void insert(Connection c, String table, long id, String owner, String status, String note) throws Exception {
    try (PreparedStatement s = c.prepareStatement(
            "insert into " + table + " (id, owner, status, password_hash, note) values (?, ?, ?, ?, ?)")) {
      s.setLong(1, id);
      s.setString(2, owner);
      s.setString(3, status);
      s.setString(4, "$2a$10$secret-hash-of-" + owner);
      s.setString(5, note);
      s.executeUpdate();
    }
  }

  /** The order rows' projection: never owner or password_hash. */
  static WebChannel<ObjectNode> orders(String table) {
    return WebChannel.rows(table)
        .project(WebChannel.columns("id", "status", "note"))
        .visibleTo((user, e) -> {
          ObjectNode row = e.current() != null ? e.current() : e.previous();
          return user != null && user.getName().equals(row.path("owner").asText());
        });
  }

  /** Users come from a header in these tests (an application's security fills getUserPrincipal()). */
  static PushEndpoint.Builder endpoint(WebChannel<?> channel) {
    return PushEndpoint.builder(db.dataSource())
        .channel(channel)
        .principal(r -> {
          String user = r.getHeader("X-User");
          return user == null ? null : (Principal) () -> user;
        })
        .authorize((user, ch, r) -> !user.getName().equals("mallory"));
  }

  static List<Long> ids(List<SseClient.Event> events) throws Exception {
    List<Long> out = new ArrayList<>();
    for (SseClient.Event e : events) {
      out.add(JSON.readTree(e.data()).get("id").asLong());
    }
    return out;
  }

  @Test
  void userANeverReceivesUserBsEventsLiveOrOnReplay() throws Exception {
    String t = newOrdersTable();
    try (SseNode node = new SseNode(endpoint(orders(t)).build());
        SseClient a = SseClient.open(node.url + "?channel=" + t, "alice", null);
        SseClient b = SseClient.open(node.url + "?channel=" + t, "bob", null)) {
      for (int i = 1; i <= 10; i++) {
        insert(t, i, i % 2 == 0 ? "bob" : "alice", "NEW", null);
      }
      a.await(WAIT, ev -> ev.size() >= 5, "alice's 5 orders");
      b.await(WAIT, ev -> ev.size() >= 5, "bob's 5 orders");
      // a marker written last: once each has it, nothing else can still be on its way
      insert(t, 100, "alice", "MARK", null);
      insert(t, 101, "bob", "MARK", null);
      a.await(WAIT, ev -> ev.size() >= 6, "alice's marker");
      b.await(WAIT, ev -> ev.size() >= 6, "bob's marker");
      assertThat(ids(a.events)).containsExactly(1L, 3L, 5L, 7L, 9L, 100L);
      assertThat(ids(b.events)).containsExactly(2L, 4L, 6L, 8L, 10L, 101L);
      assertThat(a.events.get(0).event()).isEqualTo(t + ".insert");
      for (SseClient.Event e : a.events) {
        assertThat(e.data()).doesNotContain("secret-hash").doesNotContain("owner").doesNotContain("bob");
        StreamPosition.parse(e.id()); // the id is a stream position
      }
      JsonNode first = JSON.readTree(a.events.get(0).data());
      assertThat(first.get("new").toString()).isEqualTo("{\"id\":1,\"status\":\"NEW\",\"note\":null}");
      assertThat(first.has("old")).as("old only when the channel asks for it").isFalse();

      // replay from the beginning: still only alice's
      try (SseClient replay = SseClient.open(node.url + "?channel=" + t + "&since=0-0", "alice", null)) {
        replay.await(WAIT, ev -> ev.size() >= 6, "alice's replay");
        db.execute("update " + t + " set status = 'PAID' where id in (1, 2)");
        replay.await(WAIT, ev -> ev.size() >= 7, "alice's live update after the replay");
        insert(t, 102, "alice", "MARK", null);
        replay.await(WAIT, ev -> ev.size() >= 8, "alice's second marker");
        assertThat(ids(replay.events)).containsExactly(1L, 3L, 5L, 7L, 9L, 100L, 1L, 102L);
        assertThat(replay.events.get(6).event()).isEqualTo(t + ".update");
        assertThat(replay.events.subList(0, 6)).as("the replay is what the live stream sent").isEqualTo(a.events.subList(0, 6));
      }
    }
  }

  @Test
  void aChannelWithoutAProjectionIsNotExposed() throws Exception {
    String t = newOrdersTable();
    String users = newOrdersTable(); // captured into a stream, but no web channel for it
    try (SseNode node = new SseNode(endpoint(orders(t)).build())) {
      HttpResponse<String> r = SseClient.get(node.url + "?channel=" + users, "alice");
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.body()).contains("channel '" + users + "' is not exposed: no projection is registered");
      assertThat(SseClient.get(node.url, "alice").statusCode()).as("no channel named").isEqualTo(400);
      assertThat(SseClient.get(node.url + "?channel=" + t + "&since=garbage", "alice").statusCode()).isEqualTo(400);
    }
    assertThatThrownBy(() -> PushEndpoint.builder(db.dataSource()).channel(WebChannel.rows("users")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("web channel 'users' has no projection");
  }

  @Test
  void connectHookAnswers401And403() throws Exception {
    String t = newOrdersTable();
    try (SseNode node = new SseNode(endpoint(orders(t)).build())) {
      assertThat(SseClient.get(node.url + "?channel=" + t, null).statusCode()).isEqualTo(401);
      HttpResponse<String> forbidden = SseClient.get(node.url + "?channel=" + t, "mallory");
      assertThat(forbidden.statusCode()).isEqualTo(403);
      assertThat(forbidden.body()).contains("channel '" + t + "'");
      assertThat(node.endpoint.connectionCount()).isZero();
    }
  }

  @Test
  void clientsFilterByEntityIdAndTheHostileFieldArrivesAsJsonText() throws Exception {
    String t = newOrdersTable();
    String hostile = "<img src=x onerror=alert(document.cookie)>\n</script>";
    try (SseNode node = new SseNode(endpoint(orders(t).includeOld(true)).build());
        SseClient c = SseClient.open(node.url + "?channel=" + t + "&id=42&id=43", "alice", null)) {
      insert(t, 41, "alice", "NEW", null);
      insert(t, 42, "alice", "NEW", hostile);
      insert(t, 43, "alice", "NEW", null);
      db.execute("delete from " + t + " where id = 43");
      c.await(WAIT, ev -> ev.size() >= 3, "42 and 43 (insert, insert, delete)");
      assertThat(ids(c.events)).containsExactly(42L, 43L, 43L);
      JsonNode data = JSON.readTree(c.events.get(0).data());
      assertThat(data.get("new").get("note").asText()).isEqualTo(hostile);
      assertThat(c.events.get(0).data()).as("one data line: the newline is escaped in the JSON").doesNotContain("\n");
      assertThat(c.events.get(2).event()).isEqualTo(t + ".delete");
      JsonNode deleted = JSON.readTree(c.events.get(2).data());
      assertThat(deleted.get("new").isNull()).isTrue();
      assertThat(deleted.get("old").get("id").asLong()).isEqualTo(43);
    }
  }

  @Test
  void aSlowClientIsDisconnectedThenResumesWithNothingLost() throws Exception {
    String t = newOrdersTable();
    String big = "x".repeat(32 * 1024);
    try (SseNode node = new SseNode(
        endpoint(orders(t)).bufferEvents(8).stallTimeout(Duration.ofSeconds(1)).heartbeat(Duration.ofMillis(200)).build())) {
      // a client that sends its request and then does not read (HTTP/1.0: the raw body is the event stream)
      Socket slow = new Socket("127.0.0.1", node.port());
      OutputStream out = slow.getOutputStream();
      out.write(("GET /app/events?channel=" + t + " HTTP/1.0\r\nX-User: alice\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (node.endpoint.connectionCount() < 1) {
        assertThat(System.nanoTime()).as("the slow client connected").isLessThan(deadline);
        Thread.sleep(10);
      }
      int n = 200;
      try (Connection c = db.connect()) {
        for (int i = 1; i <= n; i++) {
          insert(c, t, i, "alice", "NEW", big);
        }
      }
      while (node.endpoint.slowClientsDisconnected() < 1) {
        assertThat(System.nanoTime()).as("the slow client was disconnected").isLessThan(deadline);
        Thread.sleep(10);
      }
      assertThat(node.endpoint.connectionCount()).isZero();
      // now it reads what reached it, and resumes from its last complete event
      InputStream in = slow.getInputStream();
      String received = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      slow.close();
      List<String> got = new ArrayList<>();
      String lastId = null;
      for (String frame : received.split("\n\n")) {
        if (frame.contains("\ndata: ") && frame.contains("\"id\":")) {
          String id = frame.substring(frame.indexOf("id: ") + 4, frame.indexOf('\n', frame.indexOf("id: ")));
          if (frame.endsWith("}")) { // complete
            lastId = id;
            got.add(id);
          }
        }
      }
      assertThat(got.size()).as("it was cut off before the end").isLessThan(n);
      // it reconnects with its last id, as EventSource does, as often as it is cut off again
      List<Long> rest = new ArrayList<>();
      int reconnects = 0;
      while (got.size() + rest.size() < n) {
        assertThat(System.nanoTime()).as("resumed to the end; have " + rest.size()).isLessThan(deadline + WAIT.toNanos());
        try (SseClient resumed = SseClient.open(node.url + "?channel=" + t, "alice", lastId)) {
          reconnects++;
          int want = n - got.size() - rest.size();
          long until = System.nanoTime() + WAIT.toNanos();
          while (resumed.changes().size() < want && !resumed.ended() && System.nanoTime() < until) {
            Thread.sleep(10);
          }
          assertThat(resumed.events).extracting(SseClient.Event::event).doesNotContain("reset");
          List<SseClient.Event> events = resumed.changes();
          rest.addAll(ids(events));
          if (!events.isEmpty()) {
            lastId = events.get(events.size() - 1).id();
          }
        }
      }
      List<Long> expected = new ArrayList<>();
      for (long i = got.size() + 1; i <= n; i++) {
        expected.add(i);
      }
      assertThat(rest).as("after " + reconnects + " reconnects: the rest, each once, in order").isEqualTo(expected);
    }
  }

  @Test
  void aClientMovesToAnotherNodeAndResumesWithoutGapOrDuplicate() throws Exception {
    String t = newOrdersTable();
    try (SseNode one = new SseNode(endpoint(orders(t)).build());
        SseNode two = new SseNode(endpoint(orders(t)).build())) {
      String lastId;
      try (SseClient c = SseClient.open(one.url + "?channel=" + t, "alice", null)) {
        for (int i = 1; i <= 3; i++) {
          insert(t, i, "alice", "NEW", null);
        }
        c.await(WAIT, ev -> ev.size() >= 3, "3 events on node one");
        lastId = c.lastId();
      }
      for (int i = 4; i <= 6; i++) { // written while the client is between nodes
        insert(t, i, "alice", "NEW", null);
      }
      try (SseClient c = SseClient.open(two.url + "?channel=" + t, "alice", lastId)) {
        c.await(WAIT, ev -> ev.size() >= 3, "the 3 missed events from node two");
        for (int i = 7; i <= 9; i++) {
          insert(t, i, "alice", "NEW", null);
        }
        c.await(WAIT, ev -> ev.size() >= 6, "then live ones");
        insert(t, 10, "alice", "MARK", null);
        c.await(WAIT, ev -> ev.size() >= 7, "the marker");
        assertThat(ids(c.events)).containsExactly(4L, 5L, 6L, 7L, 8L, 9L, 10L);
      }
    }
  }

  @Test
  void pastTheConnectionLimitA503WithRetryAfter() throws Exception {
    String t = newOrdersTable();
    try (SseNode node = new SseNode(endpoint(orders(t)).maxConnections(2).retryAfter(Duration.ofSeconds(7))
            .heartbeat(Duration.ofMillis(100)).build());
        SseClient a = SseClient.open(node.url + "?channel=" + t, "alice", null);
        SseClient b = SseClient.open(node.url + "?channel=" + t, "alice", null)) {
      HttpResponse<String> third = SseClient.get(node.url + "?channel=" + t, "alice");
      assertThat(third.statusCode()).isEqualTo(503);
      assertThat(third.headers().firstValue("Retry-After")).hasValue("7");
      assertThat(node.endpoint.refusedConnections()).isEqualTo(1);
      a.close();
      long deadline = System.nanoTime() + WAIT.toNanos();
      // the server notices the closed stream at its next writes (heartbeats every 100 ms)
      while (node.endpoint.connectionCount() > 1) {
        assertThat(System.nanoTime()).as("the closed stream freed its slot").isLessThan(deadline);
        Thread.sleep(10);
      }
      try (SseClient again = SseClient.open(node.url + "?channel=" + t, "alice", null)) {
        assertThat(again.status).isEqualTo(200);
      }
    }
  }

  @Test
  void aPrunedPositionGetsAReset() throws Exception {
    String t = newOrdersTable();
    String firstId;
    try (SseNode node = new SseNode(endpoint(orders(t)).build())) {
      try (SseClient c = SseClient.open(node.url + "?channel=" + t, "alice", null)) {
        for (int i = 1; i <= 5; i++) {
          insert(t, i, "alice", "NEW", null);
        }
        c.await(WAIT, ev -> ev.size() >= 5, "5 events");
        firstId = c.events.get(0).id();
      }
      try (Connection conn = db.connect()) {
        assertThat(STREAMS.prune(conn, t, null, 1)).isEqualTo(4);
      }
    }
    // another node (its reader has nothing of this in memory) must read from the database: pruned
    try (SseNode node = new SseNode(endpoint(orders(t)).build())) {
      try (SseClient c = SseClient.open(node.url + "?channel=" + t, "alice", firstId)) {
        c.awaitEnd(WAIT);
        assertThat(c.events).hasSize(1);
        assertThat(c.events.get(0).event()).isEqualTo("reset");
        JsonNode reset = JSON.readTree(c.events.get(0).data());
        assertThat(reset.get("channel").asText()).isEqualTo(t);
        assertThat(c.events.get(0).id()).as("resume from the node's head after reloading").isEqualTo(reset.get("resumeFrom").asText());
        // resuming there gets new events only
        try (SseClient next = SseClient.open(node.url + "?channel=" + t, "alice", c.events.get(0).id())) {
          insert(t, 6, "alice", "NEW", null);
          next.await(WAIT, ev -> ev.size() >= 1, "the event after the reset");
          assertThat(ids(next.events)).containsExactly(6L);
        }
      }
      try (SseClient c = SseClient.open(node.url + "?channel=" + t, "alice", "not-a-position")) {
        c.awaitEnd(WAIT);
        assertThat(c.events).extracting(SseClient.Event::event).containsExactly("reset");
      }
    }
  }

  @Test
  void shutdownEndsOpenStreamsAndRefusesNewOnes() throws Exception {
    String t = newOrdersTable();
    PushEndpoint endpoint = endpoint(orders(t)).heartbeat(Duration.ofMillis(200)).build();
    try (SseNode node = new SseNode(endpoint);
        SseClient c = SseClient.open(node.url + "?channel=" + t, "alice", null)) {
      assertThat(endpoint.connectionCount()).isEqualTo(1);
      endpoint.close();
      c.awaitEnd(WAIT);
      assertThat(endpoint.connectionCount()).isZero();
      HttpResponse<String> after = SseClient.get(node.url + "?channel=" + t, "alice");
      assertThat(after.statusCode()).isEqualTo(503);
      assertThat(after.headers().firstValue("Retry-After")).isPresent();
    }
  }
}
