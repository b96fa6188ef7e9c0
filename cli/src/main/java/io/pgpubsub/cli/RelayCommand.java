package io.pgpubsub.cli;

import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.internal.ChannelNames;
import io.pgpubsub.relay.Relay;
import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.kafka.KafkaRelayPublisher;
import io.pgpubsub.relay.nats.NatsRelayPublisher;
import io.pgpubsub.relay.rabbitmq.RabbitRelayPublisher;
import java.io.PrintWriter;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code pgpubsub relay}: one {@link Relay} as a process of its own, until SIGTERM or SIGINT. It needs no
 * application class path: a relay reads the notification table only, by channel name.
 */
@Command(
    name = "relay",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Relays an ordered channel to Kafka, RabbitMQ or NATS JetStream (docs/relays.md): publishes its"
          + " notifications in order per key and removes each one from PostgreSQL only after the broker confirmed it.",
      "Runs until SIGTERM or SIGINT; then the batches in flight finish (at most --confirm-timeout) and it exits 0."
    })
final class RelayCommand implements Callable<Integer> {

  /** The values of --broker. */
  enum Broker {
    kafka,
    rabbitmq,
    nats
  }

  /** The values of --dead-key-policy. */
  enum KeyPolicy {
    move_on,
    block
  }

  @Spec CommandSpec spec;

  @Mixin DatabaseOptions db;

  @Option(names = "--channel", description = "The ordered channel to relay (@TriggerChannel(ordered = true) or @Channel(ordered = true)).")
  String channel;

  @Option(names = "--broker", description = "Where the messages go: ${COMPLETION-CANDIDATES}.")
  Broker broker;

  @Option(names = "--bootstrap-servers", description = "Kafka: bootstrap.servers, e.g. kafka:9092.")
  String bootstrapServers;

  @Option(names = "--topic", description = "Kafka: the topic; the message key is the order key.")
  String topic;

  @Option(names = "--kafka-property", description = "Kafka: any other producer setting, name=value (repeatable), e.g. security.protocol=SSL. acks=all and idempotence are fixed.")
  Map<String, String> kafkaProperties;

  @Option(names = "--amqp-uri", description = "RabbitMQ: amqp://user:password@host:5672 (the default virtual host), amqp://user:password@host:5672/vhost, amqps:// for TLS.")
  String amqpUri;

  @Option(names = "--exchange", description = "RabbitMQ: the exchange ('--exchange=' is the default exchange, which routes by queue name).")
  String exchange;

  @Option(names = "--routing-key-prefix", description = "RabbitMQ: the routing key is this prefix + the order key. Default: the order key alone.")
  String routingKeyPrefix;

  @Option(names = "--nats-url", description = "NATS: the server, nats://host:4222.")
  String natsUrl;

  @Option(names = "--subject-prefix", description = "NATS: messages go to <prefix>.<key token>; a JetStream stream must listen on <prefix>.>.")
  String subjectPrefix;

  @Option(names = "--workers", description = "Worker threads, each claiming and publishing its own batches. Default: the library's, " + Relay.DEFAULT_WORKERS + ".")
  Integer workers;

  @Option(names = "--batch-size", description = "Notifications (of different keys) per batch. Default: the library's, " + Relay.DEFAULT_BATCH_SIZE + ".")
  Integer batchSize;

  @Option(names = "--poll-interval", converter = Durations.class, description = "How often idle workers look without a wake-up: 500ms, 2s, PT1S. Default: 1s.")
  Duration pollInterval;

  @Option(names = "--confirm-timeout", converter = Durations.class, description = "How long a batch waits for the broker's confirmations (an unconfirmed message is sent again later). Default: 60s.")
  Duration confirmTimeout;

  @Option(names = "--dead-key-policy", description = "Must be the channel's own deadKeyPolicy: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.", defaultValue = "move_on")
  KeyPolicy deadKeyPolicy;

  @Option(names = "--log-level", defaultValue = "info", description = "Level of every log (pgpubsub, HikariCP, the broker client): ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
  ListenCommand.LogLevel logLevel;

  private final CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    Logging.configure(logLevel.name());
    checkOptions();
    PrintWriter out = spec.commandLine().getOut();
    try (Connection c = db.connect()) {
      Checks.requireInstalled(c, db.schema);
    }
    Relay.Builder builder =
        Relay.builder()
            .jdbcUrl(db.jdbcUrl)
            .user(db.user == null || db.user.isBlank() ? null : db.user)
            .password(db.password)
            .schema(db.schema)
            .channel(channel)
            .deadKeyPolicy(deadKeyPolicy == KeyPolicy.block ? DeadKeyPolicy.BLOCK : DeadKeyPolicy.MOVE_ON);
    if (workers != null) {
      builder.workers(workers);
    }
    if (batchSize != null) {
      builder.batchSize(batchSize);
    }
    if (pollInterval != null) {
      builder.pollInterval(pollInterval);
    }
    if (confirmTimeout != null) {
      builder.confirmTimeout(confirmTimeout);
    }
    RelayPublisher publisher = publisher();
    Relay relay;
    try {
      relay = builder.publisher(publisher).build();
    } catch (IllegalArgumentException e) {
      publisher.close();
      throw new CliException(ExitCode.USAGE, CliException.oneLine(e.getMessage()));
    }
    installSignalHandlers();
    try {
      relay.start();
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.FAILURE, CliException.oneLine(e.getMessage()));
    }
    boolean interrupted = false;
    try {
      out.println("pgpubsub: relaying channel '" + channel + "' to " + publisher.target() + " (" + relay.name() + ")");
      out.flush();
      try {
        stop.await();
      } catch (InterruptedException e) {
        interrupted = true; // a stop request too (the tests run the command on a thread and interrupt it)
      }
      out.println("pgpubsub: stopping (batches in flight finish)");
      out.flush();
    } finally {
      relay.close(); // joins the workers: must run without the interrupt flag
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    out.println("pgpubsub: stopped: " + relay.published() + " published, " + relay.dead() + " dead");
    out.flush();
    return ExitCode.OK;
  }

  /** Everything that can be checked without a database or a broker; each error names the option at fault. */
  private void checkOptions() {
    if (channel == null || channel.isBlank()) {
      throw new CliException(ExitCode.USAGE, "--channel is missing: the ordered channel to relay");
    }
    try {
      ChannelNames.validate(channel);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, "--channel: " + e.getMessage());
    }
    if (broker == null) {
      throw new CliException(ExitCode.USAGE, "--broker is missing: kafka, rabbitmq or nats");
    }
    atLeastOne("--workers", workers);
    atLeastOne("--batch-size", batchSize);
    positive("--poll-interval", pollInterval);
    positive("--confirm-timeout", confirmTimeout);
    Map<String, Object> kafka = options("--bootstrap-servers", bootstrapServers, "--topic", topic, "--kafka-property", kafkaProperties);
    Map<String, Object> rabbit = options("--amqp-uri", amqpUri, "--exchange", exchange, "--routing-key-prefix", routingKeyPrefix);
    Map<String, Object> nats = options("--nats-url", natsUrl, "--subject-prefix", subjectPrefix);
    Map<Broker, Map<String, Object>> byBroker = Map.of(Broker.kafka, kafka, Broker.rabbitmq, rabbit, Broker.nats, nats);
    for (Map.Entry<Broker, Map<String, Object>> e : byBroker.entrySet()) {
      if (e.getKey() == broker) {
        continue;
      }
      List<String> given = new ArrayList<>();
      e.getValue().forEach((name, value) -> {
        if (value != null) {
          given.add(name);
        }
      });
      if (!given.isEmpty()) {
        throw new CliException(
            ExitCode.USAGE, String.join(", ", given) + ": option of --broker=" + e.getKey() + ", not of --broker=" + broker);
      }
    }
    switch (broker) {
      case kafka -> {
        required("--bootstrap-servers", bootstrapServers, "the Kafka brokers, e.g. kafka:9092");
        required("--topic", topic, "the Kafka topic");
      }
      case rabbitmq -> {
        required("--amqp-uri", amqpUri, "amqp://user:password@host:5672/vhost");
        if (exchange == null) {
          throw new CliException(ExitCode.USAGE, "--exchange is missing for --broker=rabbitmq ('--exchange=' is the default exchange)");
        }
        rabbitBuilder(); // a malformed --amqp-uri is a usage error before anything connects
      }
      case nats -> {
        required("--nats-url", natsUrl, "nats://host:4222");
        required("--subject-prefix", subjectPrefix, "messages go to <prefix>.<key token>");
        if (subjectPrefix.endsWith(".") || subjectPrefix.contains(" ")) {
          throw new CliException(ExitCode.USAGE, "--subject-prefix must not end with '.' nor hold spaces, got '" + subjectPrefix + "'");
        }
      }
      default -> throw new IllegalStateException(broker.name());
    }
  }

  private static Map<String, Object> options(Object... namesAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      m.put((String) namesAndValues[i], namesAndValues[i + 1]);
    }
    return m;
  }

  private void required(String option, String value, String what) {
    if (value == null || value.isBlank()) {
      throw new CliException(ExitCode.USAGE, option + " is missing for --broker=" + broker + " (" + what + ")");
    }
  }

  private static void atLeastOne(String option, Integer value) {
    if (value != null && value < 1) {
      throw new CliException(ExitCode.USAGE, option + " must be at least 1, got " + value);
    }
  }

  private static void positive(String option, Duration value) {
    if (value != null && (value.isZero() || value.isNegative())) {
      throw new CliException(ExitCode.USAGE, option + " must be a positive duration, got " + value);
    }
  }

  /**
   * The broker's publisher. Kafka and RabbitMQ connect on the first publish (and reconnect by themselves); the
   * NATS publisher connects here, once, and reconnects forever after.
   */
  private RelayPublisher publisher() {
    switch (broker) {
      case kafka -> {
        KafkaRelayPublisher.Builder b = KafkaRelayPublisher.builder().bootstrapServers(bootstrapServers).topic(topic);
        if (kafkaProperties != null) {
          b.properties(kafkaProperties);
        }
        try {
          return b.build();
        } catch (RuntimeException e) {
          // e.g. org.apache.kafka.common.config.ConfigException for an unknown or malformed setting
          throw new CliException(ExitCode.USAGE, "--kafka-property or --bootstrap-servers: " + CliException.oneLine(e.getMessage()));
        }
      }
      case rabbitmq -> {
        RabbitRelayPublisher.Builder b = rabbitBuilder().exchange(exchange);
        if (routingKeyPrefix != null) {
          b.routingKeyPrefix(routingKeyPrefix);
        }
        return b.build();
      }
      case nats -> {
        try {
          return NatsRelayPublisher.builder().server(natsUrl).subjectPrefix(subjectPrefix).build();
        } catch (IllegalArgumentException e) {
          throw new CliException(ExitCode.USAGE, "--nats-url or --subject-prefix: " + CliException.oneLine(e.getMessage()));
        } catch (IllegalStateException e) {
          throw new CliException(ExitCode.FAILURE, "--nats-url: " + CliException.oneLine(e.getMessage()));
        }
      }
      default -> throw new IllegalStateException(broker.name());
    }
  }

  /**
   * The publisher's builder with {@code --amqp-uri}. {@code amqp://host:5672/} names the <em>empty</em> virtual
   * host (the AMQP URI spec; the default one is {@code /}, written {@code %2f} or left out), which RabbitMQ does
   * not have: the broker then drops every connection, and the relay could only log "Socket closed" forever.
   */
  private RabbitRelayPublisher.Builder rabbitBuilder() {
    if (amqpUri.matches("(?i)amqps?://[^/]*/")) {
      throw new CliException(ExitCode.USAGE, "--amqp-uri: the trailing '/' names the empty virtual host, which RabbitMQ"
          + " does not have; leave it out for the default one ('/'), or write its name (%2f for '/'): "
          + CliException.redactUri(amqpUri));
    }
    try {
      return RabbitRelayPublisher.builder().uri(amqpUri);
    } catch (IllegalArgumentException e) {
      throw new CliException(ExitCode.USAGE, "--amqp-uri: " + CliException.redactUri(CliException.oneLine(e.getMessage())));
    }
  }

  /** Asks a running relay to stop gracefully, as SIGTERM does. */
  void requestStop() {
    stop.countDown();
  }

  private void installSignalHandlers() {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), s -> requestStop());
      } catch (IllegalArgumentException e) {
        // signal not available on this platform: the JVM's default handling applies
      }
    }
  }
}
