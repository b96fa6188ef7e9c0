package io.pgpubsub.samples.boot;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

/**
 * {@code --shop.demo=true}: places an order through the REST endpoint, waits until the callbacks invoiced it
 * and audited the status change, places one over the credit limit, shows the {@code pgpubsub} actuator
 * endpoint, and stops the application (gracefully: the listener finishes what is in flight).
 */
@Component
@ConditionalOnBooleanProperty("shop.demo")
public class ShopDemo implements ApplicationRunner {

  private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {};

  private final Environment environment;
  private final ConfigurableApplicationContext context;

  public ShopDemo(Environment environment, ConfigurableApplicationContext context) {
    this.environment = environment;
    this.context = context;
  }

  @Override
  public void run(ApplicationArguments args) throws Exception {
    RestClient http = RestClient.create("http://localhost:" + environment.getProperty("local.server.port"));
    Map<String, Object> created =
        http.post().uri("/orders").header("X-User", "alice")
            .body(Map.of("customer", "ACME", "amount", "129.90")).retrieve().body(JSON);
    Object id = created.get("id");
    System.out.println("POST /orders (X-User: alice) -> order " + id);
    // the invoice commits with the INSERT's notification, the audit entry later with the UPDATE's
    Map<String, Object> order =
        waitFor(http, id, o -> "INVOICED".equals(o.get("status")) && !((List<?>) o.get("audit")).isEmpty());
    System.out.println("callbacks ran: status " + order.get("status") + ", invoiced for " + order.get("invoicedBy")
        + ", audit " + order.get("audit"));
    if (!"INVOICED".equals(order.get("status")) || !List.of("alice").equals(order.get("invoicedBy"))) {
      throw new IllegalStateException("unexpected order state: " + order);
    }
    Map<String, Object> big =
        http.post().uri("/orders").header("X-User", "bob")
            .body(Map.of("customer", "Globex", "amount", "25000")).retrieve().body(JSON);
    System.out.println("POST /orders over the credit limit -> order " + big.get("id")
        + ": its callback fails, the invoice rolls back, the notification is retried and then dead");
    System.out.println("GET /actuator/pgpubsub -> " + http.get().uri("/actuator/pgpubsub").retrieve().body(String.class));
    System.out.println("Spring Boot sample OK");
    System.exit(SpringApplication.exit(context, () -> 0));
  }

  private static Map<String, Object> waitFor(
      RestClient http, Object id, java.util.function.Predicate<Map<String, Object>> done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      Map<String, Object> order = http.get().uri("/orders/{id}", id).retrieve().body(JSON);
      if (done.test(order)) {
        return order;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the callbacks did not run within 30 s: " + order);
      }
      Thread.sleep(50);
    }
  }
}
