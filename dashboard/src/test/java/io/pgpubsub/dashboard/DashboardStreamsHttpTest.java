package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.StreamConsumer;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.Streams;
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
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The overview's streams (read over JDBC with {@code Streams.status}): each stream's events, tail and
 * retention's watermark, each named consumer's position and lag, and a consumer whose position retention pruned
 * as a problem; nothing while the stream tables are not installed.
 */
@PostgresTest
@Timeout(60)
class DashboardStreamsHttpTest {

  private static final HttpClient http = HttpClient.newHttpClient();
  private static final ObjectMapper json = new ObjectMapper();

  public record Placed(long order) {}

  @Test
  void theOverviewShowsStreamsAndTheirConsumersLag(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/ops", Dashboard.builder(db.dataSource()).build().httpHandler());
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      assertThat(overview(base).get("streams").size()).as("stream tables not installed").isZero();

      Streams streams = Streams.create("public");
      List<StreamPosition> positions = new ArrayList<>();
      try (Connection c = db.connect()) {
        streams.install(c);
        for (int i = 1; i <= 5; i++) {
          positions.add(streams.append(c, "orders", new Placed(i)));
        }
        StreamConsumer.seek(streams, c, "orders", "indexer", positions.get(0));
        StreamConsumer.seek(streams, c, "orders", "mailer", positions.get(3));
        assertThat(streams.prune(c, "orders", null, 3)).isEqualTo(2); // events 1 and 2 go
      }
      JsonNode overview = overview(base);
      JsonNode orders = overview.get("streams").get(0);
      assertThat(orders.get("stream").asText()).isEqualTo("orders");
      assertThat(orders.get("events").asLong()).isEqualTo(3);
      assertThat(orders.get("tail").asText()).isEqualTo(positions.get(4).toString());
      assertThat(orders.get("prunedUpTo").asText()).isEqualTo(positions.get(1).toString());
      assertThat(orders.get("retain").isNull()).as("no stream channel declares its retention").isTrue();
      Map<String, JsonNode> consumers = new java.util.TreeMap<>();
      orders.get("consumers").forEach(c -> consumers.put(c.get("consumer").asText(), c));
      assertThat(consumers.keySet()).containsExactly("indexer", "mailer");
      assertThat(consumers.get("mailer").get("lag").asLong()).isEqualTo(1);
      assertThat(consumers.get("mailer").get("position").asText()).isEqualTo(positions.get(3).toString());
      assertThat(consumers.get("mailer").get("pruned").asBoolean()).isFalse();
      assertThat(consumers.get("indexer").get("pruned").asBoolean()).isTrue();
      List<String> problems = new ArrayList<>();
      overview.get("problems").forEach(p -> problems.add(p.get("text").asText()));
      assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("consumer indexer of stream orders is at "
          + positions.get(0) + ", which retention has pruned"));
      assertThat(problems).noneSatisfy(p -> assertThat(p).contains("consumer mailer"));
    } finally {
      server.stop(0);
    }
  }

  private static JsonNode overview(String base) throws Exception {
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(URI.create(base + "/ops/api/overview")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return json.readTree(r.body());
  }
}
