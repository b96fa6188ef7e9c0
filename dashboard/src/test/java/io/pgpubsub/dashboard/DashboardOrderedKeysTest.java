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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The overview's per-channel key figures of an ordered channel: the keys an operator sees held back. */
@PostgresTest
@Timeout(60)
class DashboardOrderedKeysTest {

  @Test
  void anOrderedChannelShowsItsWaitingRetryingAndDeadKeysAndAPlainChannelNone(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    db.execute(
        "insert into pgpubsub_notification(channel, payload, order_key, attempts, dead_at, last_error, created_at) values"
            // key 7: its head failed once and waits for its retry, a second change waits behind it
            + " ('orders', '{}', '7', 1, null, 'java.io.IOException: down', now() - interval '90 seconds'),"
            + " ('orders', '{}', '7', 0, null, null, now() - interval '80 seconds'),"
            // key 8: a dead notification, and a pending one behind it
            + " ('orders', '{}', '8', 5, now(), 'java.lang.IllegalStateException: bad', now() - interval '70 seconds'),"
            + " ('orders', '{}', '8', 0, null, null, now() - interval '60 seconds'),"
            // key 9: only waiting
            + " ('orders', '{}', '9', 0, null, null, now() - interval '10 seconds'),"
            + " ('mails', '{}', null, 0, null, null, now())");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/ops", Dashboard.builder(db.dataSource()).build().httpHandler());
    server.start();
    try {
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/ops/api/overview")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode channels = new ObjectMapper().readTree(r.body()).get("channels");
      JsonNode orders = null;
      JsonNode mails = null;
      for (JsonNode ch : channels) {
        if (ch.get("channel").asText().equals("orders")) {
          orders = ch;
        } else if (ch.get("channel").asText().equals("mails")) {
          mails = ch;
        }
      }
      assertThat(mails).isNotNull();
      assertThat(mails.get("keys").isNull()).as("a channel without keys is not ordered").isTrue();
      assertThat(orders).isNotNull();
      JsonNode keys = orders.get("keys");
      assertThat(keys.get("waiting").asLong()).isEqualTo(3);
      assertThat(keys.get("retrying").asLong()).as("key 7's head waits for its retry").isEqualTo(1);
      assertThat(keys.get("dead").asLong()).as("key 8 has a dead notification").isEqualTo(1);
      assertThat(keys.get("oldestKey").asText()).isEqualTo("7");
      assertThat(keys.get("oldestKeyAgeSeconds").asDouble()).isBetween(85.0, 600.0);
    } finally {
      server.stop(0);
    }
  }
}
