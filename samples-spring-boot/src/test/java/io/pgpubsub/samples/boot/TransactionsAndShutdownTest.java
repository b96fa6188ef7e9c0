package io.pgpubsub.samples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Delivery;
import io.pgpubsub.spring.PubSubListenerLifecycle;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.transaction.annotation.Transactional;

/**
 * The sample on the other schema path (no Flyway: {@code spring.jpa.hibernate.ddl-auto=create}, the Hibernate
 * integration installs the triggers), with a careless and a slow invoicing service: a callback that swallows
 * the failure of a {@code @Transactional} method still fails its notification (Spring marked the transaction
 * rollback-only), and closing the application context while a callback runs lets that callback finish.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TransactionsAndShutdownTest {

  static final CountDownLatch entered = new CountDownLatch(1);
  static final CountDownLatch release = new CountDownLatch(1);
  static TestDatabase db;
  static ConfigurableApplicationContext context;

  /** A credit check whose {@code @Transactional} method fails. */
  public static class CreditCheck {
    @Transactional
    public void verify(ShopOrder order) {
      throw new IllegalStateException("credit check failed for " + order.getCustomer());
    }
  }

  /** Invoicing that blocks for "slow" and, for "careless", swallows the credit check's failure. */
  public static class TestInvoiceService extends InvoiceService {
    private final CreditCheck creditCheck;

    public TestInvoiceService(InvoiceRepository invoices, CreditCheck creditCheck) {
      super(invoices);
      this.creditCheck = creditCheck;
    }

    @Override
    @Transactional
    public Invoice invoice(ShopOrder order, Delivery delivery) {
      if (order.getCustomer().equals("careless")) {
        try {
          creditCheck.verify(order);
        } catch (IllegalStateException e) {
          // carries on as if nothing happened: Spring has marked the transaction rollback-only
        }
      }
      if (order.getCustomer().equals("slow")) {
        entered.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
      return super.invoice(order, delivery);
    }
  }

  /** Test beans (a plain class, so that component scanning never picks it up for other tests). */
  static class TestBeans {
    @Bean
    CreditCheck creditCheck() {
      return new CreditCheck();
    }

    @Bean
    @Primary
    InvoiceService testInvoiceService(InvoiceRepository invoices, CreditCheck creditCheck) {
      return new TestInvoiceService(invoices, creditCheck);
    }
  }

  @BeforeAll
  static void start() {
    db = PostgresServer.get().createDatabase("spring_tx");
    // command-line arguments: they take precedence over the sample's application.properties
    List<String> args = new ArrayList<>(List.of(
        "--spring.datasource.url=" + db.jdbcUrl(),
        "--spring.flyway.enabled=false",
        "--spring.jpa.hibernate.ddl-auto=create",
        "--pgpubsub.listener.retry.max-attempts=1",
        "--pgpubsub.listener.grace-period=30s"));
    if (db.user() != null) {
      args.add("--spring.datasource.username=" + db.user());
    }
    if (db.password() != null) {
      args.add("--spring.datasource.password=" + db.password());
    }
    context =
        new SpringApplicationBuilder(ShopApplication.class, TestBeans.class)
            .web(WebApplicationType.NONE)
            .run(args.toArray(String[]::new));
  }

  @AfterAll
  static void stop() {
    try {
      if (context != null) {
        context.close();
      }
    } finally {
      db.close();
    }
  }

  private static long place(String customer) {
    return context.getBean(OrderService.class).place(customer, new BigDecimal("42.00"), "dave").getId();
  }

  @Test
  @Order(1)
  void aCallbackThatSwallowsAFailedTransactionalMethodStillFailsItsNotification() throws Exception {
    long id = place("careless");

    ShopApplicationTest.await(
        () -> longOf("SELECT count(*) FROM pgpubsub_notification WHERE dead_at IS NOT NULL"), n -> n == 1L);
    assertThat(textOf("SELECT last_error FROM pgpubsub_notification WHERE dead_at IS NOT NULL"))
        .contains("rollback-only");
    // the invoice saved after the swallowed failure and the status update rolled back with the notification
    assertThat(longOf("SELECT count(*) FROM invoice WHERE order_id = " + id)).isZero();
    assertThat(textOf("SELECT status FROM shop_order WHERE id = " + id)).isEqualTo("PLACED");
  }

  @Test
  @Order(2)
  void closingTheContextLetsTheInFlightCallbackFinishAndCommit() throws Exception {
    PubSubListenerLifecycle lifecycle = context.getBean(PubSubListenerLifecycle.class);
    long id = place("slow");
    assertThat(entered.await(30, TimeUnit.SECONDS)).as("the callback started").isTrue();

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

    assertThat(longOf("SELECT count(*) FROM invoice WHERE order_id = " + id)).isEqualTo(1);
    assertThat(textOf("SELECT status FROM shop_order WHERE id = " + id)).isEqualTo("INVOICED");
    assertThat(longOf("SELECT count(*) FROM pgpubsub_notification WHERE payload->>'op' = 'INSERT'"
            + " AND dead_at IS NULL"))
        .as("the insert's notification was removed with the callback's commit").isZero();
  }

  private static long longOf(String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String textOf(String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      return rs.next() ? rs.getString(1) : null;
    }
  }
}
