package io.pgpubsub.samples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Delivery;
import io.pgpubsub.spring.PubSubListenerLifecycle;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * The other schema path (no Flyway: {@code spring.jpa.hibernate.ddl-auto=create}, the Hibernate integration
 * installs the triggers) and a graceful stop: closing the application context while a callback runs lets that
 * callback finish and commit.
 */
class GracefulShutdownTest {

  static final CountDownLatch entered = new CountDownLatch(1);
  static final CountDownLatch release = new CountDownLatch(1);

  /** Test beans (a plain class, so that component scanning never picks it up for other tests). */
  static class SlowInvoicing {
    @Bean
    @Primary
    InvoiceService slowInvoiceService(InvoiceRepository invoices) {
      return new InvoiceService(invoices) {
        @Override
        public Invoice invoice(ShopOrder order, Delivery delivery) {
          entered.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
          }
          return super.invoice(order, delivery);
        }
      };
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void closingTheContextLetsTheInFlightCallbackFinishAndCommit() throws Exception {
    try (TestDatabase db = PostgresServer.get().createDatabase("spring_shutdown")) {
      // command-line arguments: they take precedence over the sample's application.properties
      List<String> args = new ArrayList<>(List.of(
          "--spring.datasource.url=" + db.jdbcUrl(),
          "--spring.flyway.enabled=false",
          "--spring.jpa.hibernate.ddl-auto=create",
          "--pgpubsub.listener.grace-period=30s"));
      if (db.user() != null) {
        args.add("--spring.datasource.username=" + db.user());
      }
      if (db.password() != null) {
        args.add("--spring.datasource.password=" + db.password());
      }
      ConfigurableApplicationContext context =
          new SpringApplicationBuilder(ShopApplication.class, SlowInvoicing.class)
              .web(WebApplicationType.NONE)
              .run(args.toArray(String[]::new));
      PubSubListenerLifecycle lifecycle = context.getBean(PubSubListenerLifecycle.class);
      long id;
      try {
        id = context.getBean(OrderService.class).place("Umbrella", new java.math.BigDecimal("42.00"), "dave").getId();
        assertThat(entered.await(30, TimeUnit.SECONDS)).as("the callback started").isTrue();
      } catch (Throwable t) {
        context.close();
        throw t;
      }

      Thread closer = new Thread(context::close, "closer");
      closer.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (lifecycle.listener() != null) { // the stop has begun: no new claims
        assertThat(System.nanoTime()).as("the listener's stop began").isLessThan(deadline);
        Thread.sleep(10);
      }
      assertThat(closer.isAlive()).as("the context waits for the in-flight callback").isTrue();
      release.countDown();
      closer.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(closer.isAlive()).isFalse();

      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        assertThat(longOf(s, "SELECT count(*) FROM invoice WHERE order_id = " + id)).isEqualTo(1);
        assertThat(longOf(s, "SELECT count(*) FROM pgpubsub_notification WHERE payload->>'op' = 'INSERT'"))
            .as("the insert's notification was removed with the callback's commit").isZero();
      }
    }
  }

  private static long longOf(Statement s, String sql) throws Exception {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
