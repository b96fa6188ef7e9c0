package io.pgpubsub.relay.nats;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.TestBroker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The NATS server with JetStream at 127.0.0.1:4222, started with start-stop-daemon when it does not answer. Each
 * target is a stream on {@code <prefix>.>} whose messages are at most 50,000 bytes, so the test's 100 KB poison
 * message is refused by JetStream (10054).
 */
public final class NatsTestBroker implements TestBroker {

  static final String HOST = "127.0.0.1";
  static final int PORT = 4222;
  static final String URL = "nats://" + HOST + ":" + PORT;
  private static volatile boolean checked;

  public NatsTestBroker() {}

  /** Skips the calling test (with the reason) when NATS does not answer and cannot be started. */
  public static synchronized void ensureRunning() {
    if (checked) {
      return;
    }
    TestBroker.ensureAnswering(
        "NATS with JetStream at " + URL, NatsTestBroker::answers, java.time.Duration.ofSeconds(30),
        "start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/nats-server", "--", "-a", HOST,
        "-p", String.valueOf(PORT), "-js", "-sd", "/var/lib/nats-server", "-l", "/var/log/nats-server.log");
    checked = true;
  }

  private static boolean answers() {
    try (Connection c = connect()) {
      c.jetStreamManagement().getAccountStatistics();
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  static Connection connect() throws IOException, InterruptedException {
    return Nats.connect(Options.builder().server(URL).connectionTimeout(Duration.ofSeconds(3)).build());
  }

  @Override
  public String newTarget() throws Exception {
    ensureRunning();
    String name = "pgpubsub_relay_test_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = connect()) {
      c.jetStreamManagement().addStream(
          StreamConfiguration.builder()
              .name(name)
              .subjects(name + ".>")
              .storageType(StorageType.Memory)
              .maximumMessageSize(50_000)
              .duplicateWindow(Duration.ofMinutes(2))
              .build());
    }
    return name;
  }

  @Override
  public RelayPublisher publisher(String target) {
    return publisherVia(target, HOST, PORT);
  }

  @Override
  public RelayPublisher publisherVia(String target, String host, int port) {
    return NatsRelayPublisher.builder().server("nats://" + host + ":" + port).subjectPrefix(target).build();
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
  public TestConsumer consumer(String stream) throws Exception {
    Connection c = connect();
    JetStreamManagement jsm = c.jetStreamManagement();
    List<Received> received = new ArrayList<>();
    return new TestConsumer() {
      long next = 1;

      @Override
      public synchronized List<Received> received() throws Exception {
        long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
        for (; next <= last; next++) {
          MessageInfo m = jsm.getMessage(stream, next);
          received.add(TestBroker.parse(m.getData()));
        }
        return List.copyOf(received);
      }

      @Override
      public void close() throws Exception {
        try {
          jsm.deleteStream(stream);
        } finally {
          c.close();
        }
      }
    };
  }

  @Override
  public boolean dropsDuplicates() {
    return true;
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
    return "10054";
  }

  @Override
  public List<String> childJvmArgs() {
    return List.of();
  }
}
