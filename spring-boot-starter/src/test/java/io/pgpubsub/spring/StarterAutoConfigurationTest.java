package io.pgpubsub.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Listener;
import io.pgpubsub.spring.actuate.PgPubSubActuatorAutoConfiguration;
import io.pgpubsub.spring.actuate.PgPubSubEndpoint;
import io.pgpubsub.spring.actuate.PgPubSubHealthIndicator;
import io.pgpubsub.spring.app.ParcelApp;
import io.pgpubsub.spring.app.Received;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.hibernate.autoconfigure.HibernatePropertiesCustomizer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The starter's conditions, properties and back-offs, on the class paths Boot applications have. Configurations
 * that boot Hibernate run on a real PostgreSQL; "library X missing" runs in a class loader that truly lacks X
 * ({@link ClassPathWithout}), the others hide classes from conditions with {@link FilteredClassLoader}.
 */
@ExtendWith(OutputCaptureExtension.class)
class StarterAutoConfigurationTest {

  static final TestDatabase db = PostgresServer.get().createDatabase("starter");
  /** One database per booted application (the processor's trigger writes to the public schema). */
  static final List<TestDatabase> databases = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(db));

  @AfterAll
  static void drop() {
    databases.forEach(TestDatabase::close);
  }

  private static TestDatabase fresh(String hint) {
    TestDatabase d = PostgresServer.get().createDatabase(hint);
    databases.add(d);
    return d;
  }

  /** The starter's auto-configurations alone: no DataSource, no JPA. */
  private final ApplicationContextRunner bare =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  PgPubSubSchemaAutoConfiguration.class,
                  PgPubSubAutoConfiguration.class,
                  PgPubSubActuatorAutoConfiguration.class,
                  PgPubSubDashboardAutoConfiguration.class));

  /** A user's application: every auto-configuration on the test class path, on a fresh schema of the test database. */
  private ApplicationContextRunner app(String hint) {
    return app(fresh(hint));
  }

  private ApplicationContextRunner app(TestDatabase d) {
    return new ApplicationContextRunner()
        .withUserConfiguration(ParcelApp.class)
        .withPropertyValues(
            "spring.datasource.url=" + d.jdbcUrl(),
            "spring.datasource.username=" + (d.user() == null ? "" : d.user()),
            "spring.datasource.password=" + (d.password() == null ? "" : d.password()),
            "spring.liquibase.enabled=false",
            "spring.flyway.enabled=false",
            "spring.jpa.hibernate.ddl-auto=update",
            "pgpubsub.listener.poll-interval=200ms");
  }

  private static Map<String, Object> hibernateSettings(ConfigurableApplicationContext context) {
    Map<String, Object> settings = new HashMap<>();
    context.getBeanProvider(HibernatePropertiesCustomizer.class).orderedStream().forEach(c -> c.customize(settings));
    return settings;
  }

  // ---- conditions without a database --------------------------------------------------------------------

  @Test
  void withoutADataSourceOrJpaNothingButThePropertiesIsRegistered() {
    bare.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).hasSingleBean(PgPubSubProperties.class);
      assertThat(context).doesNotHaveBean(PubSubListenerLifecycle.class);
      assertThat(context).doesNotHaveBean(PubSubContext.class);
      assertThat(context).doesNotHaveBean(PgPubSubHealthIndicator.class);
    });
  }

  @Test
  void theFlywayMigrationIsRegisteredWhenFlywayIsPresentAndTheInstallScriptExists() {
    bare.run(context -> {
      assertThat(context).hasSingleBean(PgPubSubFlywayMigration.class);
      assertThat(context.getBean(PgPubSubFlywayMigration.class).script()).contains("CREATE TABLE IF NOT EXISTS");
      assertThat(hibernateSettings(context)).containsEntry("hibernate.pgpubsub.schema_management", "validate");
    });
  }

  @Test
  void flywayHiddenFromConditionsMeansNoMigrationAndNoValidateDefault() {
    bare.withClassLoader(new FilteredClassLoader("org.flywaydb", "org.springframework.boot.flyway"))
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).doesNotHaveBean(PgPubSubFlywayMigration.class);
          assertThat(hibernateSettings(context)).doesNotContainKey("hibernate.pgpubsub.schema_management");
        });
  }

  @Test
  void pgpubsubFlywayEnabledFalseTurnsTheMigrationOff() {
    bare.withPropertyValues("pgpubsub.flyway.enabled=false").run(context -> {
      assertThat(context).doesNotHaveBean(PgPubSubFlywayMigration.class);
      assertThat(hibernateSettings(context)).isEmpty();
    });
  }

  @Test
  void springFlywayEnabledFalseTurnsTheMigrationOff() {
    bare.withPropertyValues("spring.flyway.enabled=false").run(context ->
        assertThat(context).doesNotHaveBean(PgPubSubFlywayMigration.class));
  }

  @Test
  void withoutTheGeneratedInstallScriptThereIsNoMigration() {
    bare.withClassLoader(new FilteredClassLoader(new ClassPathResource("META-INF/pgpubsub.sql")))
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).doesNotHaveBean(PgPubSubFlywayMigration.class);
        });
  }

  @Test
  void anExplicitSchemaManagementWinsOverFlywaysValidateDefault() {
    bare.withPropertyValues("pgpubsub.schema-management=CREATE", "pgpubsub.schema=billing").run(context -> {
      assertThat(context).hasSingleBean(PgPubSubFlywayMigration.class);
      assertThat(hibernateSettings(context))
          .containsEntry("hibernate.pgpubsub.schema_management", "create")
          .containsEntry("hibernate.pgpubsub.schema", "billing");
    });
  }

  @Test
  void aHibernatePropertyTheApplicationSetIsKeptByTheFlywayDefault() {
    bare.run(context -> {
      Map<String, Object> settings = new HashMap<>();
      settings.put("hibernate.pgpubsub.schema_management", "none"); // spring.jpa.properties.* come first
      context.getBeanProvider(HibernatePropertiesCustomizer.class).orderedStream().forEach(c -> c.customize(settings));
      assertThat(settings).containsEntry("hibernate.pgpubsub.schema_management", "none");
    });
  }

  @Test
  void schemaManagementIsBoundCaseInsensitively() {
    bare.withPropertyValues("pgpubsub.schema-management=none").run(context ->
        assertThat(hibernateSettings(context)).containsEntry("hibernate.pgpubsub.schema_management", "none"));
  }

  @Test
  void aBadSchemaManagementFailsNamingTheSpringProperty() {
    // Boot's failure report adds "The following values are valid: CREATE NONE VALIDATE" for an enum property
    bare.withPropertyValues("pgpubsub.schema-management=sometimes").run(context -> {
      assertThat(context).hasFailed();
      assertThat(messages(context.getStartupFailure()))
          .contains("pgpubsub.schema-management")
          .contains("sometimes")
          .doesNotContain("hibernate.pgpubsub.schema_management");
    });
  }

  @Test
  void invalidListenerValuesFailNamingEachSpringProperty() {
    bare.withPropertyValues(
            "pgpubsub.listener.workers=0",
            "pgpubsub.listener.batch-size=-1",
            "pgpubsub.listener.poll-interval=0s",
            "pgpubsub.listener.retry.initial-delay=10m",
            "pgpubsub.listener.retry.max-delay=1m")
        .run(context -> {
          assertThat(context).hasFailed();
          String all = messages(context.getStartupFailure());
          assertThat(all)
              .contains("listener.workers")
              .contains("listener.batch-size")
              .contains("listener.poll-interval")
              .contains("must not be longer than pgpubsub.listener.retry.max-delay");
        });
  }

  @Test
  void aDashboardPathThatIsNoPathFailsNamingTheProperty() {
    bare.withPropertyValues("pgpubsub.dashboard.path=pgpubsub").run(context -> {
      assertThat(context).hasFailed();
      assertThat(messages(context.getStartupFailure())).contains("dashboard.path").contains("must be a path");
    });
  }

  @Test
  void aDurationIsBoundFromBootsNotation() {
    bare.withPropertyValues("pgpubsub.listener.poll-interval=250ms", "pgpubsub.listener.channels=a,b").run(context -> {
      PgPubSubProperties p = context.getBean(PgPubSubProperties.class);
      assertThat(p.getListener().getPollInterval()).isEqualTo(Duration.ofMillis(250));
      assertThat(p.getListener().getChannels()).containsExactly("a", "b");
    });
  }

  // ---- the dashboard -------------------------------------------------------------------------------------

  private final WebApplicationContextRunner web =
      new WebApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(PgPubSubDashboardAutoConfiguration.class))
          .withBean(DataSource.class, db::dataSource);

  @Test
  void theDashboardIsOffUnlessEnabled() {
    web.run(context -> assertThat(context).doesNotHaveBean("pgpubsubDashboard"));
  }

  @Test
  void anEnabledDashboardIsMountedUnderItsPathAndReadOnlyWithoutAToken() {
    web.withPropertyValues("pgpubsub.dashboard.enabled=true", "pgpubsub.dashboard.path=/ops/").run(context -> {
      assertThat(context).hasNotFailed();
      ServletRegistrationBean<?> bean = context.getBean("pgpubsubDashboard", ServletRegistrationBean.class);
      assertThat(bean.getUrlMappings()).containsExactly("/ops/*");
    });
  }

  @Test
  void withoutTheDashboardJarThereIsNoDashboardEvenWhenEnabled() {
    web.withPropertyValues("pgpubsub.dashboard.enabled=true")
        .withClassLoader(new FilteredClassLoader("io.pgpubsub.dashboard"))
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).doesNotHaveBean("pgpubsubDashboard");
        });
  }

  /** The dashboard's security options reach the page: a real server, raw HTTP (any Host can be sent). */
  @Test
  void theDashboardsAllowedHostsAndReadTokenPropertiesGuardThePage() throws Exception {
    TestDatabase d = fresh("boot_dashboard");
    try (ConfigurableApplicationContext context = new org.springframework.boot.builder.SpringApplicationBuilder(
            ParcelApp.class)
        .web(org.springframework.boot.WebApplicationType.SERVLET)
        .run("--spring.datasource.url=" + d.jdbcUrlWithCredentials(),
            "--server.port=0",
            "--spring.jpa.hibernate.ddl-auto=update",
            "--spring.flyway.enabled=false",
            "--spring.liquibase.enabled=false",
            "--spring.autoconfigure.exclude="
                + "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration,"
                + "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration,"
                + "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration,"
                + "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
            "--pgpubsub.dashboard.enabled=true",
            "--pgpubsub.dashboard.allowed-hosts=ops.example.com",
            "--pgpubsub.dashboard.read-token=r-token",
            "--pgpubsub.dashboard.lag-threshold=5s")) {
      int port = ((org.springframework.boot.web.server.context.WebServerApplicationContext) context)
          .getWebServer().getPort();
      assertThat(rawGet(port, "/pgpubsub/api/overview", "evil.example", null)).startsWith("HTTP/1.1 403");
      assertThat(rawGet(port, "/pgpubsub/api/overview", "ops.example.com", null)).startsWith("HTTP/1.1 401");
      assertThat(rawGet(port, "/pgpubsub/api/overview", "ops.example.com", "r-token")).startsWith("HTTP/1.1 200");
    }
  }

  private static String rawGet(int port, String path, String host, String token) throws Exception {
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
          + (token == null ? "" : "X-Pgpubsub-Token: " + token + "\r\n") + "\r\n";
      s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void withSpringSecurityTheDashboardIsMountedAndSecurityProtectsIt() {
    web.withConfiguration(AutoConfigurations.of(
            org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration.class,
            org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration.class))
        .withPropertyValues("pgpubsub.dashboard.enabled=true", "pgpubsub.dashboard.token=t0ken",
            "spring.security.user.password=secret")
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).hasBean("pgpubsubDashboard");
          assertThat(context).hasBean("springSecurityFilterChain");
        });
  }

  @Test
  void aReactiveApplicationGetsNoServletDashboardAndStillStarts() {
    new ReactiveWebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgPubSubDashboardAutoConfiguration.class))
        .withBean(DataSource.class, db::dataSource)
        .withPropertyValues("pgpubsub.dashboard.enabled=true")
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).doesNotHaveBean("pgpubsubDashboard");
        });
  }

  // ---- a user's application on a real PostgreSQL --------------------------------------------------------

  @Test
  void aUsersApplicationBootsReceivesACallbackThroughConstructorInjectionAndStopsWithoutAWarning(
      CapturedOutput output) {
    int from = output.getAll().length();
    app("boot_plain").withClassLoader(
            new FilteredClassLoader("org.flywaydb", "liquibase", "org.springframework.security"))
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).hasSingleBean(PubSubListenerLifecycle.class).hasSingleBean(PubSubContext.class);
          context.getBean(JdbcTemplate.class).update("INSERT INTO parcel (id, label) VALUES (1, 'one')");
          Listener listener = context.getBean(PubSubListenerLifecycle.class).listener();
          assertThat(listener.drain(Duration.ofSeconds(30)).processed()).isEqualTo(1);
          assertThat(context.getBean(Received.class).labels).containsExactly("one");
        });
    // the context is closed: listener stopped, pool closed
    assertThat(output.getAll().substring(from)).contains("pgpubsub listener '");
    assertThat(warnings(output.getAll().substring(from))).isEmpty();
  }

  @Test
  void theWalTransportIsChosenByPropertiesAndReadsItsSlotOverSpringDatasourceUrl() throws Exception {
    TestDatabase d = fresh("boot_wal");
    try (java.sql.Connection c = d.connect();
        java.sql.ResultSet rs = c.createStatement().executeQuery("show wal_level")) {
      rs.next();
      org.junit.jupiter.api.Assumptions.assumeTrue(
          rs.getString(1).equals("logical"), "the test PostgreSQL does not run wal_level = logical");
    }
    String slot = "boot_wal_" + ProcessHandle.current().pid();
    try {
      app(d).withClassLoader(new FilteredClassLoader("org.flywaydb", "liquibase", "org.springframework.security"))
          .withPropertyValues(
              "pgpubsub.listener.transport=wal",
              "pgpubsub.listener.wal-slot=" + slot,
              "pgpubsub.listener.install-schema=true")
          .run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(hibernateSettings(context)).containsEntry("hibernate.pgpubsub.transport", "wal");
            Listener listener = context.getBean(PubSubListenerLifecycle.class).listener();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!listener.isListening()) {
              assertThat(System.nanoTime()).as("the listener leads its slot within 30 s").isLessThan(deadline);
              java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
            JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
            jdbc.update("INSERT INTO parcel (id, label) VALUES (1, 'over the wal')");
            while (context.getBean(Received.class).labels.isEmpty()) {
              assertThat(System.nanoTime()).as("the callback within 30 s").isLessThan(deadline + 30_000_000_000L);
              java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
            }
            jdbc.update("INSERT INTO parcel (id, label) VALUES (2, 'drained')");
            listener.drain(Duration.ofSeconds(30)); // on Boot's pool, whose connections auto-commit
            assertThat(context.getBean(Received.class).labels).containsExactly("over the wal", "drained");
            assertThat(listener.walStatus()).as("the listener's slot").isNotNull();
            assertThat(listener.walStatus().slot()).isEqualTo(slot);
            assertThat(jdbc.queryForObject("SELECT count(*) FROM pgpubsub_notification", Long.class))
                .as("nothing passed through the notification table").isZero();
            // health: the reader is UP, and so is a second instance of the application standing by for the slot
            org.springframework.boot.health.contributor.Health leader =
                context.getBean(PgPubSubHealthIndicator.class).health();
            assertThat(leader.getStatus().getCode()).isEqualTo("UP");
            assertThat(leader.getDetails().toString()).contains("walLeader=true").contains("walSlot=" + slot);
            PubSubListenerLifecycle standby =
                new PubSubListenerLifecycle(
                    () -> io.pgpubsub.hibernate.HibernatePubSub.listener(
                            context.getBean(jakarta.persistence.EntityManagerFactory.class)
                                .unwrap(org.hibernate.SessionFactory.class),
                            context.getBean(javax.sql.DataSource.class))
                        .listenUrl(d.jdbcUrl())
                        .user(d.user())
                        .password(d.password())
                        .transport(io.pgpubsub.Transport.WAL)
                        .walSlot(slot)
                        .listenerFactory(t -> new io.pgpubsub.spring.app.ParcelListeners(context.getBean(Received.class)))
                        .build());
            standby.start();
            try {
              org.springframework.boot.health.contributor.Health standing =
                  new PgPubSubHealthIndicator(context.getBean(javax.sql.DataSource.class), "public", standby, false)
                      .health();
              assertThat(standing.getDetails().toString()).contains("walLeader=false");
              assertThat(standing.getStatus().getCode()).as("a standby is healthy").isEqualTo("UP");
            } finally {
              standby.stop();
            }
          });
    } finally {
      try (java.sql.Connection c = d.connect()) {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < end && slotActive(c, slot)) {
          java.util.concurrent.locks.LockSupport.parkNanos(20_000_000);
        }
        io.pgpubsub.WalTransport.resetSlot(c, "public", slot);
      }
    }
  }

  private static boolean slotActive(java.sql.Connection c, String slot) throws java.sql.SQLException {
    try (java.sql.PreparedStatement ps =
        c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name = ?")) {
      ps.setString(1, slot);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }

  @Test
  void aWalSlotWithoutTheWalTransportFailsNamingBothProperties() {
    bare.withPropertyValues("pgpubsub.listener.wal-slot=app_events").run(context -> {
      assertThat(context).hasFailed();
      assertThat(messages(context.getStartupFailure()))
          .contains("listener.wal-slot")
          .contains("pgpubsub.listener.transport=wal");
    });
  }

  @Test
  void listenerEnabledFalseKeepsTheContextButStartsNoListener() {
    app("boot_off").withPropertyValues("pgpubsub.listener.enabled=false").run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(PubSubListenerLifecycle.class);
      assertThat(context).hasSingleBean(PubSubContext.class);
    });
  }

  @Test
  void withoutTheProcessorsOutputTheBootFailsNamingTheEntityAndTheProcessor() {
    app("boot_noreg")
        .withClassLoader(new FilteredClassLoader(
            new ClassPathResource("META-INF/services/io.pgpubsub.spi.ChannelRegistry")))
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(messages(context.getStartupFailure()))
              .contains("io.pgpubsub.spring.app.Parcel is annotated @TriggerChannel")
              .contains("pgpubsub-processor did not run");
        });
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    static final PubSubListenerLifecycle LIFECYCLE = new PubSubListenerLifecycle(() -> {
      throw new AssertionError("the application's own lifecycle is never started by this test");
    }) {
      @Override
      public boolean isAutoStartup() {
        return false;
      }
    };

    @Bean
    PubSubListenerLifecycle ownLifecycle() {
      return LIFECYCLE;
    }

    @Bean
    PubSubContext ownContext(DataSource dataSource) {
      return new PubSubContext(dataSource);
    }
  }

  @Test
  void theApplicationsOwnLifecycleAndContextBeansReplaceTheStarters() {
    app("boot_own").withUserConfiguration(OwnBeans.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).hasSingleBean(PubSubListenerLifecycle.class);
      assertThat(context.getBean(PubSubListenerLifecycle.class)).isSameAs(OwnBeans.LIFECYCLE);
      assertThat(context).hasSingleBean(PubSubContext.class);
    });
  }

  @Test
  void aCustomizerBeanSeesTheBuilderAfterTheProperties() {
    app("boot_custom")
        .withPropertyValues("pgpubsub.listener.workers=1")
        .withBean(PubSubListenerCustomizer.class, () -> builder -> builder.workers(3).name("customized"))
        .run(context -> {
          Listener listener = context.getBean(PubSubListenerLifecycle.class).listener();
          assertThat(listener.workers()).isEqualTo(3);
          assertThat(listener.name()).isEqualTo("customized");
        });
  }

  @Test
  void theHealthIndicatorAndEndpointComeWithActuatorAndGoWithItsSwitches() {
    app("boot_actuator")
        .withPropertyValues(
            "management.endpoint.pgpubsub.access=UNRESTRICTED", "management.endpoints.web.exposure.include=pgpubsub")
        .run(context -> {
          assertThat(context).hasSingleBean(PgPubSubHealthIndicator.class);
          assertThat(context).hasSingleBean(PgPubSubEndpoint.class);
        });
    app("boot_actuator_off")
        .withPropertyValues("management.health.pgpubsub.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(PgPubSubHealthIndicator.class));
  }

  // ---- class paths that truly lack an optional library ---------------------------------------------------

  private TestDatabase isolated;

  /** Spring Security is on the test class path for one test; these applications have none. */
  private static List<String> without(String... parts) {
    List<String> all = new java.util.ArrayList<>(List.of(parts));
    all.addAll(List.of("/spring-security-", "/spring-boot-security"));
    return all;
  }

  private String[] isolatedArgs(String hint, String... more) {
    TestDatabase d = isolated = fresh(hint);
    List<String> args = new java.util.ArrayList<>(List.of(
        "--spring.datasource.url=" + d.jdbcUrl(),
        "--spring.datasource.username=" + (d.user() == null ? "" : d.user()),
        "--spring.datasource.password=" + (d.password() == null ? "" : d.password()),
        "--spring.main.web-application-type=none",
        "--pgpubsub.listener.poll-interval=200ms"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  @Test
  void withoutFlywayOnTheClassPathTheApplicationBootsAndReceivesCallbacks(CapturedOutput output) throws Exception {
    int from = output.getAll().length();
    // issue 22: NoClassDefFoundError: org/flywaydb/core/api/migration/JavaMigration
    String result = ClassPathWithout.boot(
        without("/flyway-", "/spring-boot-flyway/", "/liquibase-core/", "/spring-boot-liquibase/"),
        isolatedArgs("iso_noflyway", "--spring.jpa.hibernate.ddl-auto=update"));
    assertThat(result).startsWith("processed=1 received=[first]").contains("pgPubSubHibernateProperties")
        .doesNotContain("pgPubSubFlywayMigration");
    assertThat(warnings(output.getAll().substring(from))).isEmpty();
  }

  @Test
  void withFlywayThePgpubsubMigrationInstallsAndHibernateValidates() throws Exception {
    String result = ClassPathWithout.boot(
        without("/liquibase-core/", "/spring-boot-liquibase/"),
        isolatedArgs("iso_flyway", "--spring.jpa.hibernate.ddl-auto=validate"));
    assertThat(result).startsWith("processed=1 received=[first]").contains("pgPubSubFlywayMigration");
    try (var c = isolated.connect(); var s = c.createStatement();
        var rs = s.executeQuery(
            "SELECT count(*) FROM flyway_schema_history WHERE description = 'pgpubsub' AND version IS NULL")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
  }

  @Test
  void withLiquibaseAndWithoutFlywayTheShippedChangelogInstallsAndHibernateValidates(CapturedOutput output)
      throws Exception {
    int from = output.getAll().length();
    String result = ClassPathWithout.boot(
        without("/flyway-", "/spring-boot-flyway/"),
        isolatedArgs("iso_liquibase",
            "--spring.liquibase.change-log=classpath:db/changelog/master.xml",
            "--pgpubsub.schema-management=validate",
            "--spring.jpa.hibernate.ddl-auto=validate"));
    assertThat(result).startsWith("processed=1 received=[first]");
    try (var c = isolated.connect(); var s = c.createStatement();
        var rs = s.executeQuery("SELECT count(*) FROM databasechangelog WHERE id = 'pgpubsub-install'")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
    assertThat(warnings(output.getAll().substring(from))).isEmpty();
  }

  @Test
  void withoutActuatorAndMicrometerTheApplicationBoots() throws Exception {
    String result = ClassPathWithout.boot(
        without("/flyway-", "/spring-boot-flyway/", "/liquibase-core/", "/spring-boot-liquibase/",
            "/spring-boot-actuator", "/spring-boot-health/", "/micrometer-", "/spring-boot-micrometer"),
        isolatedArgs("iso_noactuator", "--spring.jpa.hibernate.ddl-auto=update"));
    assertThat(result).startsWith("processed=1 received=[first]").doesNotContain("HealthIndicator");
  }

  @Test
  void withoutTheDashboardAndWithoutAnyWebStackTheApplicationBoots() throws Exception {
    String result = ClassPathWithout.boot(
        without("/flyway-", "/spring-boot-flyway/", "/liquibase-core/", "/spring-boot-liquibase/",
            "/dashboard/target/", "/pgpubsub-dashboard", "/spring-boot-webmvc/", "/spring-boot-webflux/",
            "/spring-webmvc/", "/spring-webflux/", "/tomcat-", "/spring-boot-tomcat", "/jakarta.servlet-api/"),
        isolatedArgs("iso_noweb", "--spring.jpa.hibernate.ddl-auto=update", "--pgpubsub.dashboard.enabled=true"));
    assertThat(result).startsWith("processed=1 received=[first]").doesNotContain("pgpubsubDashboard");
  }

  /**
   * The WARN and ERROR lines of a stretch of output, but Hibernate's HHH010505: inside a {@link ClassPathWithout}
   * loader, Hibernate's service lookup also asks the JVM's class loader, whose copies of the same service classes
   * are "not a subtype"; an artifact of the isolation that no application has.
   */
  private static List<String> warnings(String output) {
    return output.lines()
        .filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("marked as broken"))
        .filter(l -> !l.contains("HHH010505"))
        .toList();
  }

  private static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getMessage()).append('\n');
    }
    return sb.toString();
  }
}
