package io.pgpubsub.spring;

import io.pgpubsub.relay.Relay;
import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.kafka.KafkaRelayPublisher;
import io.pgpubsub.relay.nats.NatsRelayPublisher;
import io.pgpubsub.relay.rabbitmq.RabbitRelayPublisher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Builds the relays of {@code pgpubsub.relay.*}. Only this class and its nested broker classes name relay types,
 * and each broker's class is loaded only for a relay of that broker, so that any broker library may be absent
 * (the libraries are checked before, by {@link PgPubSubRelayAutoConfiguration}, which names no relay type).
 */
final class PgPubSubRelays {

  private PgPubSubRelays() {}

  /** Builds and starts every enabled relay; when one fails, closes those already started and throws. */
  static List<AutoCloseable> start(PgPubSubProperties properties, DataSource dataSource, Environment environment) {
    Binder binder = Binder.get(environment);
    List<AutoCloseable> started = new ArrayList<>();
    try {
      properties.getRelay().forEach((name, r) -> {
        if (r.isEnabled()) {
          started.add(start(name, r, properties, dataSource, binder));
        }
      });
    } catch (RuntimeException e) {
      PubSubRelaysLifecycle.closeAll(started);
      throw e;
    }
    return started;
  }

  private static Relay start(
      String name, PgPubSubProperties.Relay r, PgPubSubProperties properties, DataSource dataSource, Binder binder) {
    String property = "pgpubsub.relay." + name;
    RelayPublisher publisher;
    try {
      publisher = switch (r.getBroker()) {
        case KAFKA -> Kafka.publisher(r, binder);
        case RABBITMQ -> Rabbit.publisher(r, binder);
        case NATS -> NatsBroker.publisher(r, properties.getNats());
      };
    } catch (RuntimeException e) {
      throw new IllegalStateException(property + " (" + r.getBroker().name().toLowerCase() + "): " + e.getMessage(), e);
    }
    try {
      Relay.Builder b = Relay.builder().name(name).dataSource(dataSource).channel(r.getChannel()).publisher(publisher);
      if (properties.getSchema() != null) {
        b.schema(properties.getSchema());
      }
      if (r.getWorkers() != null) {
        b.workers(r.getWorkers());
      }
      if (r.getBatchSize() != null) {
        b.batchSize(r.getBatchSize());
      }
      if (r.getPollInterval() != null) {
        b.pollInterval(r.getPollInterval());
      }
      if (r.getConfirmTimeout() != null) {
        b.confirmTimeout(r.getConfirmTimeout());
      }
      if (r.getDeadKeyPolicy() != null) {
        b.deadKeyPolicy(r.getDeadKeyPolicy());
      }
      PgPubSubProperties.Backoff backoff = r.getBackoff();
      if (backoff.getInitial() != null || backoff.getMax() != null) {
        b.backoff(
            backoff.getInitial() != null ? backoff.getInitial() : Relay.DEFAULT_BACKOFF_INITIAL,
            backoff.getMax() != null ? backoff.getMax() : Relay.DEFAULT_BACKOFF_MAX);
      }
      return b.build().start(); // closes the publisher when it fails to start
    } catch (RuntimeException e) {
      try {
        publisher.close();
      } catch (Exception ignored) {
        // already closed by the relay
      }
      throw new IllegalStateException(property + " (channel '" + r.getChannel() + "'): " + e.getMessage(), e);
    }
  }

  /** spring.kafka.*: bootstrap servers (the producer's own first), then properties and producer.properties. */
  static final class Kafka {
    static RelayPublisher publisher(PgPubSubProperties.Relay r, Binder binder) {
      List<String> servers =
          binder.bind("spring.kafka.producer.bootstrap-servers", Bindable.listOf(String.class))
              .orElseGet(() -> binder.bind("spring.kafka.bootstrap-servers", Bindable.listOf(String.class))
                  .orElse(List.of("localhost:9092")));
      Map<String, String> config = new LinkedHashMap<>(
          binder.bind("spring.kafka.properties", Bindable.mapOf(String.class, String.class)).orElse(Map.of()));
      config.putAll(
          binder.bind("spring.kafka.producer.properties", Bindable.mapOf(String.class, String.class))
              .orElse(Map.of()));
      return KafkaRelayPublisher.builder()
          .properties(config)
          .bootstrapServers(String.join(",", servers))
          .topic(r.getTopic())
          .build();
    }
  }

  /**
   * spring.rabbitmq.*: the first of addresses (host:port or an amqp:// URI) when set, else host and port; then
   * username, password and virtual-host (Boot's defaults: localhost, 5672, guest, guest, /).
   */
  static final class Rabbit {
    static RelayPublisher publisher(PgPubSubProperties.Relay r, Binder binder) {
      RabbitRelayPublisher.Builder b = RabbitRelayPublisher.builder()
          .username(binder.bind("spring.rabbitmq.username", String.class).orElse("guest"))
          .password(binder.bind("spring.rabbitmq.password", String.class).orElse("guest"));
      binder.bind("spring.rabbitmq.virtual-host", String.class).ifBound(b::virtualHost);
      List<String> addresses =
          binder.bind("spring.rabbitmq.addresses", Bindable.listOf(String.class)).orElse(List.of());
      if (!addresses.isEmpty() && addresses.get(0).contains("://")) {
        b.uri(addresses.get(0).trim()); // user, password and virtual host of the URI win
      } else if (!addresses.isEmpty()) {
        String address = addresses.get(0).trim();
        int colon = address.lastIndexOf(':');
        b.host(colon < 0 ? address : address.substring(0, colon));
        b.port(colon < 0 ? 5672 : Integer.parseInt(address.substring(colon + 1)));
      } else {
        b.host(binder.bind("spring.rabbitmq.host", String.class).orElse("localhost"));
        b.port(binder.bind("spring.rabbitmq.port", Integer.class).orElse(5672));
      }
      b.exchange(r.getExchange());
      if (r.getRoutingKeyPrefix() != null) {
        b.routingKeyPrefix(r.getRoutingKeyPrefix());
      }
      return b.build();
    }
  }

  /** pgpubsub.nats.url (Boot has no NATS properties). */
  static final class NatsBroker {
    static RelayPublisher publisher(PgPubSubProperties.Relay r, PgPubSubProperties.Nats nats) {
      return NatsRelayPublisher.builder().server(nats.getUrl()).subjectPrefix(r.getSubjectPrefix()).build();
    }
  }
}
