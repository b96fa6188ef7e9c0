package io.pgpubsub.samples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.pgpubsub.Listener;
import io.pgpubsub.spring.PubSubListenerLifecycle;
import io.pgpubsub.test.spring.PubSubTestDatabase;
import io.pgpubsub.testing.TestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.client.RestClient;

/**
 * The sample application as it ships (Flyway owns the schema, Boot's naming, no processor option), on a real
 * PostgreSQL, driven through its REST endpoint and its actuator endpoints.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "pgpubsub.listener.workers=3",
      "pgpubsub.listener.batch-size=7",
      "pgpubsub.listener.poll-interval=250ms",
      "pgpubsub.listener.channels=orders",
      "pgpubsub.listener.retry.max-attempts=2",
      "pgpubsub.listener.retry.initial-delay=100ms",
      "management.endpoint.pgpubsub.access=unrestricted"
    })
@DirtiesContext
@PubSubTestDatabase
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShopApplicationTest {

  private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {};
  /** The database the test kit gave this context before it started (a bean; dropped after the context closes). */
  @Autowired TestDatabase db;

  @LocalServerPort int port;
  @Autowired ApplicationContext context;
  @Autowired PubSubListenerLifecycle lifecycle;
  @Autowired MeterRegistry meters;

  private RestClient http() {
    return RestClient.create("http://localhost:" + port);
  }

  private long place(String customer, String amount, String user) {
    Map<String, Object> created =
        http().post().uri("/orders").header("X-User", user)
            .body(Map.of("customer", customer, "amount", amount)).retrieve().body(JSON);
    return ((Number) created.get("id")).longValue();
  }

  @Test
  void theDashboardIsMountedUnderItsPathAndReadOnlyWithoutAToken() {
    String page = http().get().uri("/pgpubsub/").retrieve().body(String.class);
    assertThat(page).contains("<html").contains("assets/app.js");
    Map<String, Object> overview = http().get().uri("/pgpubsub/api/overview").retrieve().body(JSON);
    assertThat(overview).containsEntry("readOnly", true);
    assertThat((List<?>) overview.get("channels"))
        .anySatisfy(c -> assertThat(((Map<?, ?>) c).get("channel")).isEqualTo("orders"));
    int purge =
        http().post().uri("/pgpubsub/api/dead/purge").body(Map.of("all", true))
            .exchange((request, response) -> response.getStatusCode().value());
    assertThat(purge).as("writes without pgpubsub.dashboard.token").isEqualTo(403);
  }

  @Test
  void aRepositorySaveRunsTheCallbackBeanWhoseWorkCommitsWithTheRemoval() throws Exception {
    long id = place("ACME", "129.90", "alice");

    Map<String, Object> order = await(() -> http().get().uri("/orders/{id}", id).retrieve().body(JSON),
        o -> "INVOICED".equals(o.get("status")) && !((List<?>) o.get("audit")).isEmpty()); // two commits

    // OrderListeners is no bean: the starter created it through the context, with its constructor's beans
    assertThat(context.getBeanNamesForType(OrderListeners.class)).isEmpty();
    // the @Transactional service's repository save (invoice, with the writer's PubSubContext), the
    // JdbcTemplate update (status) and, for the UPDATE it notified, the EntityManager persist (audit)
    assertThat(order).containsEntry("status", "INVOICED")
        .containsEntry("invoicedBy", List.of("alice"))
        .containsEntry("audit", List.of("PLACED -> INVOICED"));
    assertThat(query("SELECT attempt FROM invoice WHERE order_id = " + id)).containsExactly(1L);
    await(() -> query("SELECT count(*) FROM pgpubsub_notification"), rows -> rows.get(0).equals(0L));
    // the listener's metrics go to Boot's MeterRegistry
    assertThat(meters.get("pgpubsub.notifications.processed").tag("channel", "orders").counter().count())
        .isGreaterThanOrEqualTo(2); // the INSERT and the UPDATE it caused
  }

  @Test
  void aThrowRollsBackTheRepositoryWorkAndRetriesThenDeadLettersWhichTheEndpointShowsAndPurges() throws Exception {
    long id = place("Globex", "25000", "bob"); // over the credit limit: the service saves an invoice, then throws

    await(() -> query("SELECT attempts FROM pgpubsub_notification WHERE dead_at IS NOT NULL"), r -> !r.isEmpty());
    assertThat(query("SELECT attempts FROM pgpubsub_notification WHERE dead_at IS NOT NULL")).containsExactly(2L);
    assertThat(queryText("SELECT last_error FROM pgpubsub_notification WHERE dead_at IS NOT NULL"))
        .contains("exceeds the credit limit");
    // both attempts saved an invoice through the repository before throwing; both rolled back
    assertThat(query("SELECT count(*) FROM invoice WHERE order_id = " + id)).containsExactly(0L);
    assertThat(query("SELECT count(*) FROM shop_order WHERE status = 'PLACED' AND id = " + id)).containsExactly(1L);

    Map<String, Object> health = http().get().uri("/actuator/health/pgpubsub").retrieve().body(JSON);
    assertThat(health).containsEntry("status", "UP"); // dead letters are details, not DOWN
    @SuppressWarnings("unchecked")
    Map<String, Object> details = (Map<String, Object>) health.get("details");
    assertThat(details).containsEntry("deadLetters", 1).containsEntry("deadLettersByChannel", Map.of("orders", 1));
    assertThat(details.get("listener")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("running", true).containsEntry("listening", true).containsEntry("workers", 3)
        .containsEntry("channels", List.of("orders"));

    Map<String, Object> endpoint = http().get().uri("/actuator/pgpubsub").retrieve().body(JSON);
    assertThat(endpoint.get("channels")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
        .singleElement().asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
        .containsEntry("channel", "orders").containsEntry("dead", 1).containsKeys("pending", "retrying",
            "oldestPendingSeconds", "listeners");

    Map<String, Object> purged =
        http().delete().uri("/actuator/pgpubsub?channel=orders").retrieve().body(JSON);
    assertThat(purged).containsEntry("purged", 1);
    assertThat(query("SELECT count(*) FROM pgpubsub_notification WHERE dead_at IS NOT NULL")).containsExactly(0L);
  }

  @Test
  void propertyBindingReachesTheListener() {
    Listener listener = lifecycle.listener();
    assertThat(listener.workers()).isEqualTo(3);
    assertThat(listener.batchSize()).isEqualTo(7);
    assertThat(listener.pollInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(listener.channels()).containsExactly("orders");
    assertThat(listener.name()).isEqualTo("shop"); // spring.application.name
  }

  @Test
  void theFlywayPathInstalledTheTriggerWithBootNamingAndACamelCaseWatchColumn() throws Exception {
    assertThat(queryText("SELECT string_agg(script || ':' || success, ',') FROM flyway_schema_history"
        + " WHERE version IS NULL")).isEqualTo("io.pgpubsub.spring.PgPubSubFlywayMigration:true");
    long id = place("Initech", "10", "carol");
    await(() -> query("SELECT count(*) FROM audit_entry WHERE order_id = " + id), r -> r.get(0).equals(1L));
    // inside a writer's transaction (the listener cannot see it before the commit): which updates notify
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.executeUpdate("UPDATE shop_order SET note = 'gift wrap' WHERE id = " + id); // not watched
        assertThat(count(s)).isZero();
        s.executeUpdate("UPDATE shop_order SET updated_at = now() + interval '1 s' WHERE id = " + id); // updatedAt
        assertThat(count(s)).isEqualTo(1);
      } finally {
        c.rollback();
      }
    }
  }

  private static long count(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pgpubsub_notification")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  List<Long> query(String sql) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      List<Long> out = new java.util.ArrayList<>();
      while (rs.next()) {
        out.add(rs.getLong(1));
      }
      return out;
    }
  }

  String queryText(String sql) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  interface Check<T> {
    T get() throws Exception;
  }

  static <T> T await(Check<T> value, java.util.function.Predicate<T> done) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    T v = value.get();
    while (!done.test(v)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 20 s; last value: " + v);
      }
      Thread.sleep(20);
      v = value.get();
    }
    return v;
  }
}
