package io.pgpubsub.relay.kafka;

import io.pgpubsub.relay.RelayMessage;
import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.RelayRefusedException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes relayed notifications to one Kafka topic. The message key is the notification's order key (so one
 * key's messages share a partition), the value is the JSON body of {@link RelayMessage}, and the headers are
 * {@link RelayMessage#headers()} (UTF-8).
 *
 * <p>The producer it builds always runs with {@code acks=all} and {@code enable.idempotence=true} (they cannot be
 * overridden), and by default with {@code linger.ms=5}, {@code request.timeout.ms=10000}, {@code
 * delivery.timeout.ms=30000} (shorter than the relay's default confirm timeout, 60 s: a send the relay gives up
 * is also given up by the producer) and {@code max.block.ms=10000}. Other producer settings are passed with
 * {@link Builder#property}.
 *
 * <p>Refused, so dead at once: {@link RecordTooLargeException}, {@link RecordBatchTooLargeException}, {@link
 * InvalidRecordException}, {@link InvalidTopicException} and {@link SerializationException}. Every other error
 * (broker down, timeouts, leader changes) is transient.
 */
public final class KafkaRelayPublisher implements RelayPublisher {

  private final Producer<String, byte[]> producer;
  private final boolean ownProducer;
  private final String topic;

  private KafkaRelayPublisher(Producer<String, byte[]> producer, boolean ownProducer, String topic) {
    this.producer = producer;
    this.ownProducer = ownProducer;
    this.topic = topic;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The producer settings the builder enforces or defaults, merged with {@code given} (for a baseline). */
  public static Map<String, Object> producerConfig(Map<String, Object> given) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    p.putAll(given);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }

  @Override
  public CompletableFuture<RecordMetadata> publish(RelayMessage m) {
    RecordHeaders headers = new RecordHeaders();
    m.headers().forEach((k, v) -> headers.add(k, v.getBytes(StandardCharsets.UTF_8)));
    ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, null, m.key(), m.body(), headers);
    CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
    try {
      producer.send(
          record,
          (metadata, e) -> {
            if (e == null) {
              f.complete(metadata);
            } else {
              f.completeExceptionally(classify(e));
            }
          });
    } catch (RuntimeException e) {
      f.completeExceptionally(classify(e));
    }
    return f;
  }

  private Throwable classify(Throwable e) {
    if (e instanceof RecordTooLargeException
        || e instanceof RecordBatchTooLargeException
        || e instanceof InvalidRecordException
        || e instanceof InvalidTopicException
        || e instanceof SerializationException) {
      return new RelayRefusedException("kafka topic '" + topic + "': " + e.getClass().getSimpleName() + ": "
          + e.getMessage(), e);
    }
    return e;
  }

  @Override
  public String target() {
    return "kafka topic '" + topic + "'";
  }

  @Override
  public void close() {
    if (ownProducer) {
      producer.close();
    }
  }

  /** Configures a {@link KafkaRelayPublisher}. */
  public static final class Builder {
    private final Map<String, Object> properties = new HashMap<>();
    private String topic;
    private Producer<String, byte[]> producer;

    private Builder() {}

    /** {@code bootstrap.servers}. */
    public Builder bootstrapServers(String servers) {
      properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
      return this;
    }

    /** The topic every message goes to. */
    public Builder topic(String topic) {
      this.topic = topic;
      return this;
    }

    /** Any other producer setting ({@code acks}, {@code enable.idempotence} and the serializers are fixed). */
    public Builder property(String name, Object value) {
      properties.put(name, value);
      return this;
    }

    /** {@link #property} for each entry (Spring Boot's {@code spring.kafka.producer.*} for example). */
    public Builder properties(Map<String, ?> values) {
      properties.putAll(values);
      return this;
    }

    /**
     * A producer of your own instead (not closed by the publisher). It must run with {@code acks=all} and
     * {@code enable.idempotence=true}, which the publisher cannot check.
     */
    public Builder producer(Producer<String, byte[]> producer) {
      this.producer = producer;
      return this;
    }

    public KafkaRelayPublisher build() {
      if (topic == null || topic.isEmpty()) {
        throw new IllegalArgumentException("a Kafka relay publisher needs a topic");
      }
      if (producer != null) {
        return new KafkaRelayPublisher(producer, false, topic);
      }
      if (!properties.containsKey(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG)) {
        throw new IllegalArgumentException(
            "the Kafka relay publisher of topic '" + topic + "' needs bootstrapServers(...) or a producer");
      }
      Objects.requireNonNull(topic);
      return new KafkaRelayPublisher(new KafkaProducer<>(producerConfig(properties)), true, topic);
    }
  }
}
