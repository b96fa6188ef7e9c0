package io.pgpubsub.relay.rabbitmq;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.TestBroker;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Assumptions;

/**
 * The RabbitMQ at 127.0.0.1:5672 (guest/guest), started with {@code rabbitmq-server -detached} when it does not
 * answer. Each target is a topic exchange with one queue bound to {@code k.*}; routing keys are {@code k.<key>},
 * so the key {@code poison.x} routes nowhere.
 */
public final class RabbitTestBroker implements TestBroker {

  static final String HOST = "127.0.0.1";
  static final int PORT = 5672;
  private static volatile boolean checked;

  public RabbitTestBroker() {}

  /** Skips the calling test (with the reason) when RabbitMQ does not answer and cannot be started. */
  public static synchronized void ensureRunning() {
    if (checked) {
      return;
    }
    TestBroker.ensureAnswering(
        "RabbitMQ at " + HOST + ":" + PORT, RabbitTestBroker::answers, java.time.Duration.ofSeconds(60),
        "rabbitmq-server", "-detached");
    checked = true;
  }

  private static boolean answers() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(HOST, PORT), 1000);
      ConnectionFactory f = factory(HOST, PORT);
      try (Connection c = f.newConnection()) {
        return c.isOpen();
      }
    } catch (Exception e) {
      return false;
    }
  }

  static ConnectionFactory factory(String host, int port) {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost(host);
    f.setPort(port);
    f.setUsername("guest");
    f.setPassword("guest");
    f.setConnectionTimeout(5000);
    f.setAutomaticRecoveryEnabled(false);
    return f;
  }

  @Override
  public String newTarget() throws Exception {
    ensureRunning();
    String name = "pgpubsub.relay.test." + UUID.randomUUID();
    try (Connection c = factory(HOST, PORT).newConnection(); Channel ch = c.createChannel()) {
      ch.exchangeDeclare(name, "topic", false, true, null);
      ch.queueDeclare(name, false, false, true, null);
      ch.queueBind(name, name, "k.*");
    }
    return name;
  }

  @Override
  public RelayPublisher publisher(String target) {
    return publisherVia(target, HOST, PORT);
  }

  @Override
  public RelayPublisher publisherVia(String target, String host, int port) {
    return RabbitRelayPublisher.builder()
        .host(host)
        .port(port)
        .username("guest")
        .password("guest")
        .exchange(target)
        .routingKeyPrefix("k.")
        .build();
  }

  @Override
  public String host() {
    return HOST;
  }

  @Override
  public int port() {
    return PORT;
  }

  @Override
  public TestConsumer consumer(String target) throws Exception {
    Connection c = factory(HOST, PORT).newConnection();
    Channel ch = c.createChannel();
    List<Received> received = new CopyOnWriteArrayList<>();
    ch.basicConsume(target, true, (tag, d) -> received.add(TestBroker.parse(d.getBody())), tag -> {});
    return new TestConsumer() {
      @Override
      public List<Received> received() {
        return List.copyOf(received);
      }

      @Override
      public void close() throws Exception {
        try (Connection closing = c) {
          ch.queueDelete(target);
          ch.exchangeDelete(target);
        }
      }
    };
  }

  @Override
  public boolean dropsDuplicates() {
    return false;
  }

  @Override
  public String refusedKey() {
    return "poison.x";
  }

  @Override
  public boolean refusesBySize() {
    return false; // by route: the key's every message is unroutable
  }

  @Override
  public String refusalText() {
    return "312 NO_ROUTE";
  }

  @Override
  public List<String> childJvmArgs() {
    return List.of();
  }
}
