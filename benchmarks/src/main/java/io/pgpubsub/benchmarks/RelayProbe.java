package io.pgpubsub.benchmarks;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Notifier;
import io.pgpubsub.relay.Relay;
import io.pgpubsub.relay.RelayMessage;
import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.kafka.KafkaRelayPublisher;
import io.pgpubsub.relay.nats.NatsRelayPublisher;
import io.pgpubsub.relay.rabbitmq.RabbitRelayPublisher;
import io.pgpubsub.spi.ChannelDefinition;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * Relay throughput (issue 27) against a baseline publisher, in one run, per broker:
 *
 * <ul>
 *   <li><b>relay</b>: a backlog of {@code --rows} notifications over {@code --keys} keys of an ordered channel,
 *       relayed by one {@link Relay} ({@code --workers} workers, batches of {@code --batch}) until every one is
 *       confirmed by the broker and removed from PostgreSQL;
 *   <li><b>baseline</b>: the same number of messages of the same size and keys, published by the same client
 *       with the same acknowledgement settings (Kafka {@code acks=all} + idempotence, RabbitMQ persistent messages
 *       with publisher confirms, JetStream publish acks), with no PostgreSQL: {@code --workers} threads each
 *       publish windows of {@code --batch} messages asynchronously and wait for all confirmations of a window.
 * </ul>
 *
 * Kafka is a real in-process KRaft broker (one node); RabbitMQ and NATS are the local servers (127.0.0.1:5672,
 * 127.0.0.1:4222); a broker that does not answer is reported and left out. Each pair runs {@code --rounds} times,
 * alternating, and the best of each side is compared. Usage: {@code ./mvnw -B -q -Pbench -pl benchmarks -am verify
 * -DskipTests -Dbench.mainClass=io.pgpubsub.benchmarks.RelayProbe -Dbench.args="--rows=20000"}.
 */
public final class RelayProbe {

  /** The relayed record. */
  public record Keyed(String key, long n, String note) {}

  private RelayProbe() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    int rows = args.getInt("rows", 20_000);
    int keys = args.getInt("keys", 1_000);
    int workers = args.getInt("workers", 4);
    int batch = args.getInt("batch", 500);
    int rounds = args.getInt("rounds", 2);
    String only = args.get("brokers", "kafka,rabbitmq,nats");
    try (BenchDatabase db = BenchDatabase.open(args.get("jdbc-url", null))) {
      try (Connection c = db.connect()) {
        NotificationTable.install(c, NotificationTable.DEFAULT_SCHEMA);
      }
      System.out.printf(Locale.ROOT, "RelayProbe: %d messages over %d keys, %d workers, batches of %d, %d round(s), %s%n",
          rows, keys, workers, batch, rounds, db.embedded() ? "embedded PostgreSQL" : "PostgreSQL at the given URL");
      List<String> lines = new ArrayList<>();
      if (only.contains("kafka")) {
        KafkaClusterTestKit kit =
            new KafkaClusterTestKit.Builder(
                    new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
                .build();
        kit.format();
        kit.startup();
        kit.waitForReadyBrokers();
        try {
          String bootstrap = kit.bootstrapServers();
          lines.add(compare(db, "kafka", rows, keys, workers, batch, rounds, () -> {
            String topic = "relay-probe-" + System.nanoTime();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
              admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get(60, TimeUnit.SECONDS);
              // a producer that starts before every partition has a leader got NOT_LEADER_OR_FOLLOWER, then
              // OUT_OF_ORDER_SEQUENCE_NUMBER until its records expired (a lost round); wait for the leaders
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
              while (admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic)
                  .partitions().stream().anyMatch(p -> p.leader() == null || p.leader().isEmpty())) {
                if (System.nanoTime() > deadline) {
                  throw new IllegalStateException("topic " + topic + " has partitions without a leader after 60 s");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
              }
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
            return KafkaRelayPublisher.builder().bootstrapServers(bootstrap).topic(topic).build();
          }));
        } finally {
          kit.close();
        }
      }
      if (only.contains("rabbitmq")) {
        lines.add(compare(db, "rabbitmq", rows, keys, workers, batch, rounds, () -> {
          String name = "pgpubsub.relay.probe." + System.nanoTime();
          ConnectionFactory f = new ConnectionFactory();
          f.setHost("127.0.0.1");
          try (com.rabbitmq.client.Connection c = f.newConnection(); Channel ch = c.createChannel()) {
            ch.exchangeDeclare(name, "topic", false, true, null);
            ch.queueDeclare(name, true, false, true, null); // durable queue, persistent messages
            ch.queueBind(name, name, "#");
          } catch (Exception e) {
            throw new IllegalStateException("RabbitMQ at 127.0.0.1:5672: " + e, e);
          }
          return RabbitRelayPublisher.builder().host("127.0.0.1").exchange(name).build();
        }));
      }
      if (only.contains("nats")) {
        lines.add(compare(db, "nats", rows, keys, workers, batch, rounds, () -> {
          String name = "relay_probe_" + System.nanoTime();
          try (io.nats.client.Connection c = Nats.connect("nats://127.0.0.1:4222")) {
            JetStreamManagement jsm = c.jetStreamManagement();
            jsm.addStream(StreamConfiguration.builder().name(name).subjects(name + ".>")
                .storageType(StorageType.File).build());
          } catch (Exception e) {
            throw new IllegalStateException("NATS at 127.0.0.1:4222: " + e, e);
          }
          return NatsRelayPublisher.builder().server("nats://127.0.0.1:4222").subjectPrefix(name).build();
        }));
      }
      System.out.println();
      System.out.println("| broker | relay (PostgreSQL -> broker) | baseline (same client and acks, no PostgreSQL) | ratio |");
      System.out.println("|---|---|---|---|");
      lines.forEach(System.out::println);
    }
    System.exit(0);
  }

  private static String compare(BenchDatabase db, String broker, int rows, int keys, int workers, int batch,
      int rounds, Supplier<RelayPublisher> target) {
    try {
      double bestRelay = 0;
      double bestBase = 0;
      for (int r = 0; r < rounds; r++) {
        double base;
        double relay;
        try {
          try (RelayPublisher p = target.get()) {
            base = baseline(p, rows, keys, workers, batch);
          }
          try (RelayPublisher p = target.get()) {
            relay = relay(db, p, rows, keys, workers, batch);
          }
        } catch (RuntimeException e) {
          if (bestBase == 0) {
            throw e;
          }
          System.out.println("  " + broker + " round " + (r + 1) + " failed, left out: " + e.getMessage());
          continue;
        }
        System.out.printf(Locale.ROOT, "  %s round %d: relay %,.0f msg/s, baseline %,.0f msg/s%n", broker, r + 1, relay,
            base);
        bestRelay = Math.max(bestRelay, relay);
        bestBase = Math.max(bestBase, base);
      }
      return String.format(Locale.ROOT, "| %s | %,.0f msg/s | %,.0f msg/s | %.2fx |", broker, bestRelay, bestBase,
          bestRelay / bestBase);
    } catch (RuntimeException e) {
      System.out.println("  " + broker + ": left out: " + e.getMessage());
      return "| " + broker + " | not measured: " + e.getMessage() + " | | |";
    }
  }

  /** A body of the size the relay sends for {@link Keyed} (about 300 bytes). */
  private static RelayMessage message(long id, String key) {
    String body = "{\"id\":" + id + ",\"channel\":\"relay_probe\",\"key\":\"" + key + "\",\"op\":\"NOTIFY\","
        + "\"old\":null,\"new\":{\"key\":\"" + key + "\",\"n\":" + id + ",\"note\":\"" + "x".repeat(100) + "\"},"
        + "\"context\":{},\"time\":\"" + Instant.now() + "\"}";
    return new RelayMessage(id, "relay_probe", key, "NOTIFY", Instant.now(), "{}", body.getBytes(StandardCharsets.UTF_8));
  }

  private static double baseline(RelayPublisher p, int rows, int keys, int workers, int batch) throws RuntimeException {
    // warm up the connection
    p.publish(message(0, "k0")).join();
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    long start = System.nanoTime();
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int w = 0; w < workers; w++) {
        int worker = w;
        fs.add(pool.submit(() -> {
          List<CompletableFuture<?>> window = new ArrayList<>(batch);
          for (int i = worker; i < rows; i += workers) {
            window.add(p.publish(message(i + 1, "k" + (i % keys))));
            if (window.size() == batch) {
              CompletableFuture.allOf(window.toArray(new CompletableFuture<?>[0])).join();
              window.clear();
            }
          }
          CompletableFuture.allOf(window.toArray(new CompletableFuture<?>[0])).join();
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } catch (Exception e) {
      throw new IllegalStateException("baseline failed: " + e, e);
    } finally {
      pool.shutdownNow();
    }
    return rows / ((System.nanoTime() - start) / 1e9);
  }

  private static double relay(BenchDatabase db, RelayPublisher p, int rows, int keys, int workers, int batch) {
    String channel = "relay_probe";
    ChannelDefinition def = new ChannelDefinition(channel, Keyed.class, false, true, true, null, null, Set.of(),
        Keyed.class.getName(), null, List.of(), null, true, DeadKeyPolicy.MOVE_ON);
    Notifier notifier = Notifier.create("public", List.of(def));
    try (Connection c = db.connect()) {
      try (Statement s = c.createStatement()) {
        s.execute("TRUNCATE public.pgpubsub_notification");
      }
      c.setAutoCommit(false);
      for (int i = 0; i < rows; i++) {
        notifier.send(c, new Keyed("k" + (i % keys), i, "x".repeat(100)), "k" + (i % keys));
        if (i % 1000 == 999) {
          c.commit();
        }
      }
      c.commit();
      c.setAutoCommit(true);
      try (Statement s = c.createStatement()) {
        s.execute("VACUUM ANALYZE public.pgpubsub_notification");
      }
    } catch (Exception e) {
      throw new IllegalStateException("writing the backlog failed: " + e, e);
    }
    long start = System.nanoTime();
    try (Relay relay = Relay.builder().jdbcUrl(db.jdbcUrl()).channel(channel).publisher(p).closePublisher(false)
        .workers(workers).batchSize(batch).pollInterval(Duration.ofMillis(100)).build().start()) {
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
      while (relay.published() < rows) {
        if (System.nanoTime() > deadline || relay.dead() > 0) {
          throw new IllegalStateException("the relay published " + relay.published() + " of " + rows + ", "
              + relay.dead() + " dead");
        }
        Thread.sleep(5);
      }
      return rows / ((System.nanoTime() - start) / 1e9);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
