package io.pgpubsub.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.GetResponse;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Notifier;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Relays configured by {@code pgpubsub.relay.*} alone, to the real RabbitMQ (127.0.0.1:5672, guest/guest) and
 * NATS JetStream (127.0.0.1:4222), on a fresh PostgreSQL database each; the class paths without a relay library
 * ({@link FilteredClassLoader}); the properties' checks.
 */
class RelayAutoConfigurationTest {

  /** The relayed record. */
  public record Change(String key, int version) {}

  static final List<TestDatabase> databases = new CopyOnWriteArrayList<>();

  @AfterAll
  static void drop() {
    databases.forEach(TestDatabase::close);
  }

  /** An application with a DataSource and the relays' auto-configuration (no JPA: relays need none). */
  private static ApplicationContextRunner app(TestDatabase d) {
    return new ApplicationContextRunner()
        .withConfiguration(
            AutoConfigurations.of(DataSourceAutoConfiguration.class, PgPubSubRelayAutoConfiguration.class))
        .withPropertyValues(
            "spring.datasource.url=" + d.jdbcUrl(),
            "spring.datasource.username=" + (d.user() == null ? "" : d.user()),
            "spring.datasource.password=" + (d.password() == null ? "" : d.password()));
  }

  private static TestDatabase bareDatabase;

  /** For the contexts that fail or start no relay: one database, which they do not connect to. */
  private static synchronized ApplicationContextRunner bare() {
    if (bareDatabase == null) {
      bareDatabase = PostgresServer.get().createDatabase("relaybare");
      databases.add(bareDatabase);
    }
    return app(bareDatabase);
  }

  /** A fresh database with the notification table. */
  private static TestDatabase database() throws Exception {
    TestDatabase d = PostgresServer.get().createDatabase("relay");
    databases.add(d);
    try (Connection c = d.connect()) {
      NotificationTable.install(c, "public");
    }
    return d;
  }

  /** Writes one change of an ordered channel, as an application's transaction does. */
  private static void write(TestDatabase d, String channel, String key, int version) throws Exception {
    ChannelDefinition def =
        new ChannelDefinition(channel, Change.class, false, true, true, null, null, Set.of(), Change.class.getName(),
            null, List.of(), null, true, DeadKeyPolicy.MOVE_ON);
    Notifier notifier = Notifier.create("public", List.of(def));
    try (Connection c = d.connect()) {
      c.setAutoCommit(false);
      notifier.send(c, new Change(key, version), key);
      c.commit();
    }
  }

  private static long stored(TestDatabase d, String channel) throws Exception {
    try (Connection c = d.connect();
        PreparedStatement ps = c.prepareStatement("select count(*) from public.pgpubsub_notification where channel = ?")) {
      ps.setString(1, channel);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Polls {@code condition} until it holds or 30 s have passed. */
  private static void await(String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.call()) {
      assertThat(System.nanoTime()).as(what + " within 30 s").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  // ---- real brokers ---------------------------------------------------------------------------------------

  @Test
  void aRabbitMqRelayConfiguredByPropertiesDeliversToARealQueueAndRemovesTheRow() throws Exception {
    TestDatabase d = database();
    String exchange = "pgpubsub_boot_" + UUID.randomUUID().toString().replace("-", "");
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(5672);
    f.setUsername("guest");
    f.setPassword("guest");
    try (com.rabbitmq.client.Connection rabbit = f.newConnection(); Channel ch = rabbit.createChannel()) {
      ch.exchangeDeclare(exchange, "topic", false, true, null);
      String queue = ch.queueDeclare("", false, true, true, null).getQueue();
      ch.queueBind(queue, exchange, "orders.#");
      app(d)
          .withPropertyValues(
              "spring.rabbitmq.host=127.0.0.1",
              "spring.rabbitmq.port=5672",
              "spring.rabbitmq.username=guest",
              "spring.rabbitmq.password=guest",
              "pgpubsub.relay.orders.channel=boot_orders",
              "pgpubsub.relay.orders.broker=rabbitmq",
              "pgpubsub.relay.orders.exchange=" + exchange,
              "pgpubsub.relay.orders.routing-key-prefix=orders.",
              "pgpubsub.relay.orders.workers=1",
              "pgpubsub.relay.orders.poll-interval=200ms",
              "pgpubsub.relay.orders.confirm-timeout=20s",
              "pgpubsub.relay.orders.backoff.max=2s",
              "pgpubsub.relay.orders.dead-key-policy=move-on")
          .run(context -> {
            assertThat(context).hasNotFailed();
            PubSubRelaysLifecycle relays = context.getBean(PubSubRelaysLifecycle.class);
            assertThat(relays.isRunning()).isTrue();
            assertThat(relays.relays()).singleElement().satisfies(r -> {
              assertThat(r.name()).isEqualTo("orders");
              assertThat(r.channel()).isEqualTo("boot_orders");
            });
            write(d, "boot_orders", "o-17", 3);
            GetResponse[] got = new GetResponse[1];
            await("the message in the queue", () -> (got[0] = ch.basicGet(queue, true)) != null);
            assertThat(got[0].getEnvelope().getRoutingKey()).isEqualTo("orders.o-17");
            assertThat(new String(got[0].getBody(), StandardCharsets.UTF_8)).contains("\"version\":3");
            await("the notification removed", () -> stored(d, "boot_orders") == 0);
          });
    }
  }

  @Test
  void aNatsRelayConfiguredByPropertiesDeliversToJetStream() throws Exception {
    TestDatabase d = database();
    String stream = "pgpubsub_boot_" + UUID.randomUUID().toString().replace("-", "");
    try (io.nats.client.Connection nats = Nats.connect("nats://127.0.0.1:4222")) {
      JetStreamManagement jsm = nats.jetStreamManagement();
      jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream + ".>")
          .storageType(StorageType.Memory).build());
      try {
        app(d)
            .withPropertyValues(
                "pgpubsub.nats.url=nats://127.0.0.1:4222",
                "pgpubsub.relay.shipments.channel=boot_shipments",
                "pgpubsub.relay.shipments.broker=nats",
                "pgpubsub.relay.shipments.subject-prefix=" + stream,
                "pgpubsub.relay.shipments.batch-size=10",
                "pgpubsub.relay.shipments.backoff.initial=50ms")
            .run(context -> {
              assertThat(context).hasNotFailed();
              write(d, "boot_shipments", "s1", 1);
              await("the message in the stream",
                  () -> jsm.getStreamInfo(stream).getStreamState().getMsgCount() == 1);
              MessageInfo m = jsm.getMessage(stream, 1);
              assertThat(m.getSubject()).isEqualTo(stream + ".s1");
              assertThat(new String(m.getData(), StandardCharsets.UTF_8)).contains("\"key\":\"s1\"");
              await("the notification removed", () -> stored(d, "boot_shipments") == 0);
            });
      } finally {
        jsm.deleteStream(stream);
      }
    }
  }

  /**
   * No Kafka broker here (relay-kafka's tests deliver to one): the producer gets spring.kafka.bootstrap-servers
   * and spring.kafka.properties.*, overridden by spring.kafka.producer.properties.* (an invalid value fails the
   * start naming the relay and the setting; the valid override wins). The producer connects in the background,
   * so an unreachable broker does not stop the application.
   */
  @Test
  void aKafkaRelayTakesBootsKafkaProperties() throws Exception {
    TestDatabase d = database();
    String[] relay = {
      "spring.kafka.bootstrap-servers=127.0.0.1:1",
      "pgpubsub.relay.orders.channel=boot_kafka",
      "pgpubsub.relay.orders.broker=kafka",
      "pgpubsub.relay.orders.topic=orders",
      "spring.kafka.properties.max.block.ms=soon"};
    app(d).withPropertyValues(relay).run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure())
          .hasStackTraceContaining("pgpubsub.relay.orders (kafka)")
          .hasStackTraceContaining("max.block.ms");
    });
    app(d).withPropertyValues(relay).withPropertyValues("spring.kafka.producer.properties.max.block.ms=1000")
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(PubSubRelaysLifecycle.class).relays()).singleElement()
              .satisfies(r -> assertThat(r.toString()).contains("orders"));
        });
  }

  @Test
  void closingTheContextStopsTheRelays() throws Exception {
    TestDatabase d = database();
    PubSubRelaysLifecycle[] seen = new PubSubRelaysLifecycle[1];
    app(d)
        .withPropertyValues(
            "pgpubsub.relay.orders.channel=boot_closed",
            "pgpubsub.relay.orders.broker=rabbitmq",
            "pgpubsub.relay.orders.exchange=",
            "spring.rabbitmq.host=127.0.0.1")
        .run(context -> {
          seen[0] = context.getBean(PubSubRelaysLifecycle.class);
          assertThat(seen[0].relays()).hasSize(1);
        });
    assertThat(seen[0].isRunning()).isFalse();
    assertThat(seen[0].relays()).isEmpty();
  }

  /**
   * In a full application (JPA, the listener of ParcelApp) the relays' bean depends on the listener's, which
   * makes Spring start the listener first and stop the relays first (both are in the last phase).
   */
  @Test
  void inAnApplicationWithAListenerTheRelaysStartAfterItAndStopBeforeIt() throws Exception {
    TestDatabase d = database();
    new ApplicationContextRunner()
        .withUserConfiguration(io.pgpubsub.spring.app.ParcelApp.class)
        .withPropertyValues(
            "spring.datasource.url=" + d.jdbcUrl(),
            "spring.datasource.username=" + (d.user() == null ? "" : d.user()),
            "spring.datasource.password=" + (d.password() == null ? "" : d.password()),
            "spring.liquibase.enabled=false",
            "spring.flyway.enabled=false",
            "spring.jpa.hibernate.ddl-auto=update",
            "spring.rabbitmq.host=127.0.0.1",
            "pgpubsub.relay.orders.channel=boot_with_listener",
            "pgpubsub.relay.orders.broker=rabbitmq",
            "pgpubsub.relay.orders.exchange=")
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBeanFactory().getDependenciesForBean(PgPubSubRelayAutoConfiguration.BEAN))
              .contains("pubSubListenerLifecycle");
          assertThat(context.getBean(PubSubListenerLifecycle.class).isRunning()).isTrue();
          assertThat(context.getBean(PubSubRelaysLifecycle.class).relays()).hasSize(1);
        });
  }

  // ---- class paths ----------------------------------------------------------------------------------------

  @Test
  void withoutRelayPropertiesNothingIsCreatedAndNoRelayLibraryIsNeeded() throws Exception {
    for (String hidden : List.of("io.pgpubsub.relay", "org.apache.kafka", "com.rabbitmq", "io.nats")) {
      bare().withClassLoader(new FilteredClassLoader(hidden)).run(context -> {
        assertThat(context).as("without " + hidden).hasNotFailed();
        assertThat(context).doesNotHaveBean(PubSubRelaysLifecycle.class);
      });
    }
  }

  @Test
  void aRelayWhoseBrokerLibraryIsMissingFailsTheStartNamingThePropertyAndTheArtifact() {
    String[][] cases = {
      {"kafka", "org.apache.kafka", "org.apache.kafka:kafka-clients", "topic=t"},
      {"kafka", "io.pgpubsub.relay", "io.pgpubsub:pgpubsub-relay-kafka", "topic=t"},
      {"rabbitmq", "com.rabbitmq", "com.rabbitmq:amqp-client", "exchange=x"},
      {"rabbitmq", "io.pgpubsub.relay.rabbitmq", "io.pgpubsub:pgpubsub-relay-rabbitmq", "exchange=x"},
      {"nats", "io.nats", "io.nats:jnats", "subject-prefix=s"},
      {"nats", "io.pgpubsub.relay", "io.pgpubsub:pgpubsub-relay-nats", "subject-prefix=s"},
    };
    for (String[] c : cases) {
      bare()
          .withClassLoader(new FilteredClassLoader(c[1]))
          .withPropertyValues(
              "pgpubsub.relay.orders.channel=orders",
              "pgpubsub.relay.orders.broker=" + c[0],
              "pgpubsub.relay.orders." + c[3])
          .run(context -> {
            assertThat(context).as("without " + c[1]).hasFailed();
            assertThat(context.getStartupFailure())
                .rootCause()
                .hasMessageContaining(
                    "pgpubsub.relay.orders.broker=" + c[0] + " needs " + c[2] + " on the class path");
          });
    }
  }

  /** Class-path entries of the relay modules and their broker clients (reactor directories or jars). */
  private static final List<String> RELAY_LIBRARIES = List.of(
      "/relay/target/", "/relay-kafka/target/", "/relay-rabbitmq/target/", "/relay-nats/target/",
      "/pgpubsub-relay", "/kafka-clients-", "/amqp-client-", "/jnats-",
      // as StarterAutoConfigurationTest's isolated applications: no Flyway, Liquibase or Spring Security
      "/flyway-", "/spring-boot-flyway/", "/liquibase-core/", "/spring-boot-liquibase/",
      "/spring-security-", "/spring-boot-security");

  private static String[] isolatedArgs(String... more) throws Exception {
    TestDatabase d = PostgresServer.get().createDatabase("relayiso");
    databases.add(d);
    List<String> args = new java.util.ArrayList<>(List.of(
        "--spring.datasource.url=" + d.jdbcUrl(),
        "--spring.datasource.username=" + (d.user() == null ? "" : d.user()),
        "--spring.datasource.password=" + (d.password() == null ? "" : d.password()),
        "--spring.main.web-application-type=none",
        "--spring.jpa.hibernate.ddl-auto=update",
        "--pgpubsub.listener.poll-interval=200ms"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** Truly absent (not only hidden from conditions): the starter's classes must not name a relay type. */
  @Test
  void withoutAnyRelayLibraryTheApplicationBootsAndARelayFailsNamingTheArtifact() throws Exception {
    assertThat(ClassPathWithout.boot(RELAY_LIBRARIES, isolatedArgs())).startsWith("processed=1 received=[first]");
    Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> ClassPathWithout.boot(RELAY_LIBRARIES,
        isolatedArgs("--pgpubsub.relay.orders.channel=orders", "--pgpubsub.relay.orders.broker=rabbitmq",
            "--pgpubsub.relay.orders.exchange=orders")));
    assertThat(failure).hasStackTraceContaining(
        "pgpubsub.relay.orders.broker=rabbitmq needs io.pgpubsub:pgpubsub-relay-rabbitmq on the class path");
  }

  @Test
  void aDisabledRelayNeedsNoLibraryAndStartsNothing() {
    bare()
        .withClassLoader(new FilteredClassLoader("org.apache.kafka"))
        .withPropertyValues(
            "pgpubsub.relay.orders.enabled=false",
            "pgpubsub.relay.orders.channel=orders",
            "pgpubsub.relay.orders.broker=kafka",
            "pgpubsub.relay.orders.topic=t")
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean(PubSubRelaysLifecycle.class).relays()).isEmpty();
        });
  }

  /**
   * Every {@code Relay.Builder} option has a property or a source in the application, so that an option added to
   * the builder cannot be forgotten here (as StarterContractTest does for the listener).
   */
  @Test
  void everyRelayBuilderOptionHasAPropertyOrASource() throws Exception {
    java.util.Map<String, String> sources = new java.util.TreeMap<>();
    sources.put("name", "the relay's name in pgpubsub.relay.<name>");
    sources.put("dataSource", "the application's DataSource");
    sources.put("jdbcUrl", "none: the application's DataSource");
    sources.put("user", "none: the application's DataSource");
    sources.put("password", "none: the application's DataSource");
    sources.put("schema", "pgpubsub.schema");
    sources.put("channel", "channel");
    sources.put("publisher", "broker, topic, exchange, routingKeyPrefix, subjectPrefix");
    sources.put("closePublisher", "none: the relay owns the publisher it is given");
    sources.put("workers", "workers");
    sources.put("batchSize", "batchSize");
    sources.put("pollInterval", "pollInterval");
    sources.put("confirmTimeout", "confirmTimeout");
    sources.put("backoff", "backoff");
    sources.put("deadKeyPolicy", "deadKeyPolicy");
    java.util.TreeSet<String> options = new java.util.TreeSet<>();
    for (java.lang.reflect.Method m : io.pgpubsub.relay.Relay.Builder.class.getDeclaredMethods()) {
      if (java.lang.reflect.Modifier.isPublic(m.getModifiers()) && !m.getName().equals("build")) {
        options.add(m.getName());
      }
    }
    assertThat(options).as("Relay.Builder options; a new one needs a pgpubsub.relay.<name>.* property")
        .isEqualTo(sources.keySet());
    java.util.Set<String> properties = new java.util.HashSet<>();
    for (java.lang.reflect.Method m : PgPubSubProperties.Relay.class.getMethods()) {
      if (m.getName().startsWith("get") || m.getName().startsWith("is")) {
        String n = m.getName().replaceFirst("^(get|is)", "");
        properties.add(Character.toLowerCase(n.charAt(0)) + n.substring(1));
      }
    }
    sources.values().stream()
        .filter(v -> !v.startsWith("none") && !v.startsWith("the ") && !v.startsWith("pgpubsub."))
        .flatMap(v -> java.util.Arrays.stream(v.split(", ")))
        .forEach(p -> assertThat(properties).as("PgPubSubProperties.Relay").contains(p));
  }

  // ---- bad values -----------------------------------------------------------------------------------------

  @Test
  void badValuesFailTheStartNamingTheProperty() {
    String[][] cases = {
      {"pgpubsub.relay.orders.broker=kafka", "pgpubsub.relay.orders.channel is required"},
      {"pgpubsub.relay.orders.channel=orders", "pgpubsub.relay.orders.broker is required"},
      {"pgpubsub.relay.orders.channel=orders,pgpubsub.relay.orders.broker=kafka",
          "pgpubsub.relay.orders.topic is required with pgpubsub.relay.orders.broker=kafka"},
      {"pgpubsub.relay.orders.channel=orders,pgpubsub.relay.orders.broker=rabbitmq",
          "pgpubsub.relay.orders.exchange is required"},
      {"pgpubsub.relay.orders.channel=orders,pgpubsub.relay.orders.broker=nats,"
          + "pgpubsub.relay.orders.subject-prefix=orders.",
          "pgpubsub.relay.orders.subject-prefix is required with pgpubsub.relay.orders.broker=nats"},
      {"pgpubsub.relay.orders.channel=orders,pgpubsub.relay.orders.broker=kafka,pgpubsub.relay.orders.topic=t,"
          + "pgpubsub.relay.orders.exchange=x", "pgpubsub.relay.orders.exchange is for broker=rabbitmq only"},
      {"pgpubsub.relay.orders.channel=orders,pgpubsub.relay.orders.broker=kafka,pgpubsub.relay.orders.topic=t,"
          + "pgpubsub.relay.orders.workers=0", "pgpubsub.relay.orders.workers must be at least 1"},
      {"pgpubsub.relay.orders.channel=orders,pgpubsub.relay.orders.broker=kafka,pgpubsub.relay.orders.topic=t,"
          + "pgpubsub.relay.orders.batch-size=0", "pgpubsub.relay.orders.batch-size must be at least 1"},
      {"pgpubsub.relay.orders.channel=orders,pgpubsub.relay.orders.broker=kafka,pgpubsub.relay.orders.topic=t,"
          + "pgpubsub.relay.orders.confirm-timeout=0s", "pgpubsub.relay.orders.confirm-timeout must be a positive"},
      {"pgpubsub.relay.orders.channel=orders,pgpubsub.relay.orders.broker=kafka,pgpubsub.relay.orders.topic=t,"
          + "pgpubsub.relay.orders.backoff.initial=1m",
          "pgpubsub.relay.orders.backoff.initial must not be longer than pgpubsub.relay.orders.backoff.max"},
    };
    for (String[] c : cases) {
      bare().withPropertyValues(c[0].split(",")).run(context -> {
        assertThat(context).as(c[0]).hasFailed();
        assertThat(context.getStartupFailure()).as(c[0]).rootCause().hasMessageContaining(c[1]);
      });
    }
  }

  @Test
  void anUnknownBrokerFailsNamingTheProperty() {
    bare()
        .withPropertyValues("pgpubsub.relay.orders.channel=orders", "pgpubsub.relay.orders.broker=pulsar")
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).hasStackTraceContaining("pgpubsub.relay.orders.broker");
        });
  }
}
