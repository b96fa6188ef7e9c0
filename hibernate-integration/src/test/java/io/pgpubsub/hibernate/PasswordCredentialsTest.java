package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.Listener;
import io.pgpubsub.hibernate.model.Reading;
import io.pgpubsub.testing.PasswordPostgres;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.hibernate.SessionFactory;
import org.hibernate.boot.model.naming.PhysicalNamingStrategySnakeCaseImpl;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.cfg.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Issue 11, item 1: an application gives its credentials the ordinary JPA way (persistence properties, no
 * user in the URL) to a server that demands a SCRAM password. Hibernate masks those values in
 * {@code SessionFactory.getProperties()}; the listener must still connect with the real ones.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(180)
class PasswordCredentialsTest {

  private static final String ROLE = "shop_app";
  private static final String PASSWORD = "s3cret-'pass word";
  private static final Duration WAIT = Duration.ofSeconds(20);

  private PasswordPostgres server;
  private String url;
  private final AtomicInteger ids = new AtomicInteger();

  @BeforeAll
  void startServer() throws Exception {
    server = PasswordPostgres.start();
    url = server.createRoleAndDatabase(ROLE, PASSWORD, "shop");
  }

  @AfterAll
  void stopServer() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void theServerReallyDemandsThePassword() throws Exception {
    assertThat(url).doesNotContain("user=").doesNotContain("password=");
    assertThat(server.storedPassword(ROLE)).startsWith("SCRAM-SHA-256$");
    Properties noPassword = new Properties();
    noPassword.setProperty("user", ROLE);
    assertThatThrownBy(() -> DriverManager.getConnection(url, noPassword).close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("password");
    Properties wrongPassword = new Properties();
    wrongPassword.setProperty("user", ROLE);
    wrongPassword.setProperty("password", "****");
    assertThatThrownBy(() -> DriverManager.getConnection(url, wrongPassword).close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("password authentication failed");
  }

  @Test
  void jakartaPersistenceCredentials() throws Exception {
    try (SessionFactory sf =
        build(
            Map.of(
                AvailableSettings.JAKARTA_JDBC_USER, ROLE, AvailableSettings.JAKARTA_JDBC_PASSWORD, PASSWORD))) {
      assertThat(sf.getProperties().get(AvailableSettings.JAKARTA_JDBC_PASSWORD)).isEqualTo("****");
      deliversThrough(sf, HibernatePubSub.listener(sf));
    }
  }

  @Test
  void hibernateConnectionCredentials() throws Exception {
    try (SessionFactory sf =
        build(Map.of(AvailableSettings.USER, ROLE, AvailableSettings.PASS, PASSWORD))) {
      assertThat(sf.getProperties().get(AvailableSettings.USER)).isEqualTo("****");
      deliversThrough(sf, HibernatePubSub.listener(sf));
    }
  }

  @Test
  void aDataSourceGivenOnTheBuilderReplacesTheFactorysSettings() throws Exception {
    try (SessionFactory sf =
        build(
            Map.of(
                AvailableSettings.JAKARTA_JDBC_USER, ROLE, AvailableSettings.JAKARTA_JDBC_PASSWORD, PASSWORD))) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setUrl(url);
      ds.setUser(ROLE);
      ds.setPassword(PASSWORD);
      deliversThrough(sf, HibernatePubSub.listener(sf).dataSource(ds));
    }
  }

  private SessionFactory build(Map<String, String> credentials) {
    Configuration cfg = new Configuration();
    cfg.addAnnotatedClass(Reading.class);
    cfg.setProperty(AvailableSettings.JAKARTA_JDBC_URL, url);
    credentials.forEach(cfg::setProperty);
    cfg.setProperty(AvailableSettings.HBM2DDL_AUTO, "create");
    cfg.setProperty(AvailableSettings.POOL_SIZE, "2");
    cfg.setProperty(
        AvailableSettings.PHYSICAL_NAMING_STRATEGY, PhysicalNamingStrategySnakeCaseImpl.class.getName());
    return cfg.buildSessionFactory();
  }

  /** A row written through Hibernate reaches the callback of a listener built from {@code builder}. */
  private void deliversThrough(SessionFactory sf, Listener.Builder builder) throws Exception {
    long id = ids.incrementAndGet();
    CountDownLatch delivered = new CountDownLatch(1);
    ReadingCounter counter =
        new ReadingCounter() {
          @Override
          public void inserted(Reading r) throws InterruptedException {
            super.inserted(r);
            if (r.id == id) {
              delivered.countDown();
            }
          }
        };
    try (Listener listener =
        builder
            .name("password-auth")
            .channels("reading")
            .pollInterval(Duration.ofMillis(200))
            .listenerFactory(type -> counter)
            .build()
            .start()) {
      sf.inTransaction(
          s -> {
            Reading r = new Reading();
            r.id = id;
            r.value = 1.5;
            s.persist(r);
          });
      assertThat(delivered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS))
          .as("callback of reading %s within %s", id, WAIT)
          .isTrue();
      assertThat(counter.calls.get(id).get()).isEqualTo(1);
    }
  }
}
