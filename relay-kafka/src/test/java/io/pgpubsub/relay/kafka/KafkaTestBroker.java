package io.pgpubsub.relay.kafka;

import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.TestBroker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real Kafka broker: one in-process KRaft node (Kafka's own KafkaClusterTestKit, combined broker and
 * controller) per test JVM, started on first use. Child relay processes get its address in the system property
 * {@value #BOOTSTRAP_PROPERTY}. Each target is a topic of 3 partitions whose messages are at most 50,000 bytes,
 * so the test's 100 KB poison message is refused by the broker (RecordTooLargeException).
 */
public final class KafkaTestBroker implements TestBroker {

  static final String BOOTSTRAP_PROPERTY = "pgpubsub.test.kafka.bootstrap";
  private static KafkaClusterTestKit cluster;
  private static String bootstrap;

  public KafkaTestBroker() {}

  /** The broker's bootstrap servers: the parent's embedded broker, or the one a child was given. */
  static synchronized String bootstrapServers() {
    if (bootstrap != null) {
      return bootstrap;
    }
    String given = System.getProperty(BOOTSTRAP_PROPERTY);
    if (given != null) {
      bootstrap = given;
      return bootstrap;
    }
    try {
      KafkaClusterTestKit kit =
          new KafkaClusterTestKit.Builder(
                  new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
              .setConfigProp("offsets.topic.replication.factor", "1")
              .setConfigProp("transaction.state.log.replication.factor", "1")
              .setConfigProp("transaction.state.log.min.isr", "1")
              .setConfigProp("group.initial.rebalance.delay.ms", "0")
              .build();
      kit.format();
      kit.startup();
      kit.waitForReadyBrokers();
      cluster = kit;
      bootstrap = kit.bootstrapServers();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          kit.close();
        } catch (Exception e) {
          // the JVM ends anyway
        }
      }));
      return bootstrap;
    } catch (Exception e) {
      throw new IllegalStateException("the in-process Kafka broker did not start: " + e, e);
    }
  }

  @Override
  public String newTarget() throws Exception {
    String topic = "relay-test-" + UUID.randomUUID();
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(Map.of("max.message.bytes", "50000"))))
          .all()
          .get(60, TimeUnit.SECONDS);
    }
    return topic;
  }

  @Override
  public RelayPublisher publisher(String target) {
    return KafkaRelayPublisher.builder().bootstrapServers(bootstrapServers()).topic(target).build();
  }

  @Override
  public RelayPublisher publisherVia(String target, String host, int port) {
    return null; // Kafka hands its clients the broker's advertised address: a proxy in front of it is bypassed
  }

  @Override
  public String host() {
    return bootstrapServers().split(",")[0].split(":")[0];
  }

  @Override
  public int port() {
    return Integer.parseInt(bootstrapServers().split(",")[0].split(":")[1]);
  }

  @Override
  public TestConsumer consumer(String topic) {
    KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < 3; p++) {
      partitions.add(new TopicPartition(topic, p));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    List<Received> received = new CopyOnWriteArrayList<>();
    List<String> keyMismatches = new CopyOnWriteArrayList<>();
    Thread t = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
            Received m = TestBroker.parse(r.value());
            if (!m.key().equals(r.key())) {
              keyMismatches.add(r.key() + " != " + m.key());
            }
            received.add(m);
          }
        }
      } catch (org.apache.kafka.common.errors.InterruptException
          | org.apache.kafka.common.errors.WakeupException e) {
        // closing
      } finally {
        consumer.close();
      }
    }, "kafka-test-consumer");
    t.setDaemon(true);
    t.start();
    return new TestConsumer() {
      @Override
      public List<Received> received() {
        if (!keyMismatches.isEmpty()) {
          throw new AssertionError("Kafka message keys differ from the order keys: " + keyMismatches);
        }
        return List.copyOf(received);
      }

      @Override
      public void close() throws Exception {
        consumer.wakeup();
        t.join(10_000);
      }
    };
  }

  @Override
  public boolean dropsDuplicates() {
    return false;
  }

  @Override
  public String refusedKey() {
    return "poison";
  }

  @Override
  public boolean refusesBySize() {
    return true;
  }

  @Override
  public String refusalText() {
    return "RecordTooLargeException";
  }

  @Override
  public List<String> childJvmArgs() {
    return List.of("-D" + BOOTSTRAP_PROPERTY + "=" + bootstrapServers());
  }
}
