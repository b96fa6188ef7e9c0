package io.pgpubsub.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConnectionFactory;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Notifier;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code pgpubsub relay} (docs/cli.md, docs/relays.md) run in-process on a thread against the local RabbitMQ
 * (127.0.0.1:5672, guest/guest) and NATS JetStream (127.0.0.1:4222): an ordered channel's notifications arrive in
 * order per key, leave PostgreSQL, and the command stops gracefully when asked. Option errors name the option.
 */
@PostgresTest
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RelayCommandTest {

  /** The relayed record. */
  public record Change(String key, int version) {}

  private static final AtomicInteger CHANNELS = new AtomicInteger();
  private static final int KEYS = 10;
  private static final int VERSIONS = 5;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PgPubSubCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Result(code, out.toString(), err.toString());
  }

  /** Checked before anything connects: no database is given, and none is needed to get these errors. */
  @Test
  void optionErrorsNameTheOptionAtFault() {
    String[][] cases = {
      {"--topic is missing for --broker=kafka", "relay", "--channel=c", "--broker=kafka", "--bootstrap-servers=k:9092"},
      {"--bootstrap-servers is missing for --broker=kafka", "relay", "--channel=c", "--broker=kafka", "--topic=t"},
      {"--exchange is missing for --broker=rabbitmq", "relay", "--channel=c", "--broker=rabbitmq", "--amqp-uri=amqp://h"},
      {"--amqp-uri is missing for --broker=rabbitmq", "relay", "--channel=c", "--broker=rabbitmq", "--exchange=x"},
      {"--subject-prefix is missing for --broker=nats", "relay", "--channel=c", "--broker=nats", "--nats-url=nats://h:4222"},
      {"--topic: option of --broker=kafka, not of --broker=nats", "relay", "--channel=c", "--broker=nats",
        "--nats-url=nats://h:4222", "--subject-prefix=p", "--topic=t"},
      {"--channel is missing", "relay", "--broker=kafka", "--bootstrap-servers=k:9092", "--topic=t"},
      {"--channel: invalid channel name", "relay", "--channel=a b", "--broker=kafka", "--bootstrap-servers=k", "--topic=t"},
      {"--broker is missing", "relay", "--channel=c"},
      {"--workers must be at least 1", "relay", "--channel=c", "--broker=kafka", "--bootstrap-servers=k", "--topic=t",
        "--workers=0"},
      {"--confirm-timeout must be a positive duration", "relay", "--channel=c", "--broker=kafka", "--bootstrap-servers=k",
        "--topic=t", "--confirm-timeout=0s"},
      {"--broker", "relay", "--channel=c", "--broker=pulsar"},
      {"--amqp-uri: not an AMQP URI: http://u:***@h", "relay", "--channel=c", "--broker=rabbitmq",
        "--amqp-uri=http://u:secret@h", "--exchange=x"},
      {"--amqp-uri: the trailing '/' names the empty virtual host", "relay", "--channel=c", "--broker=rabbitmq",
        "--amqp-uri=amqp://u:secret@h:5672/", "--exchange=x"},
    };
    for (String[] c : cases) {
      String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
      Result r = run(args);
      assertThat(r.code()).as(String.join(" ", args) + "\n" + r.err()).isEqualTo(ExitCode.USAGE);
      assertThat(r.err()).as(String.join(" ", args)).contains(c[0]).doesNotContain("secret");
    }
  }

  @Test
  void relaysAnOrderedChannelToRabbitMqInOrderAndStopsGracefully(TestDatabase db) throws Exception {
    ConnectionFactory f = new ConnectionFactory();
    f.setHost("127.0.0.1");
    f.setPort(5672);
    f.setUsername("guest");
    f.setPassword("guest");
    f.setConnectionTimeout(3000);
    com.rabbitmq.client.Connection rabbit;
    try {
      rabbit = f.newConnection();
    } catch (Exception e) {
      Assumptions.abort("RabbitMQ does not answer at 127.0.0.1:5672 (" + e + ")");
      return;
    }
    String exchange = "pgpubsub.cli.relay." + UUID.randomUUID();
    List<JsonNode> received = new CopyOnWriteArrayList<>();
    try (rabbit;
        Channel ch = rabbit.createChannel()) {
      ch.exchangeDeclare(exchange, "topic", false, true, null);
      ch.queueDeclare(exchange, false, false, true, null);
      ch.queueBind(exchange, exchange, "k.*");
      ObjectMapper json = new ObjectMapper();
      ch.basicConsume(exchange, true, (tag, d) -> received.add(json.readTree(d.getBody())), tag -> {});
      relayAndCheck(db, received::size, () -> List.copyOf(received),
          "--broker=rabbitmq", "--amqp-uri=amqp://guest:guest@127.0.0.1:5672", "--exchange=" + exchange,
          "--routing-key-prefix=k.");
    }
  }

  @Test
  void relaysAnOrderedChannelToNatsJetStreamInOrder(TestDatabase db) throws Exception {
    io.nats.client.Connection nats;
    try {
      nats = Nats.connect(Options.builder().server("nats://127.0.0.1:4222").connectionTimeout(Duration.ofSeconds(3)).build());
      nats.jetStreamManagement().getAccountStatistics();
    } catch (Exception e) {
      Assumptions.abort("NATS with JetStream does not answer at 127.0.0.1:4222 (" + e + ")");
      return;
    }
    String stream = "pgpubsub_cli_relay_" + UUID.randomUUID().toString().replace("-", "");
    try (nats) {
      JetStreamManagement jsm = nats.jetStreamManagement();
      jsm.addStream(StreamConfiguration.builder().name(stream).subjects(stream + ".>").storageType(StorageType.Memory).build());
      ObjectMapper json = new ObjectMapper();
      try {
        Callable<List<JsonNode>> read = () -> {
          List<JsonNode> out = new ArrayList<>();
          long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
          for (long seq = 1; seq <= last; seq++) {
            out.add(json.readTree(jsm.getMessage(stream, seq).getData()));
          }
          return out;
        };
        relayAndCheck(db, () -> (int) jsm.getStreamInfo(stream).getStreamState().getMsgCount(), read,
            "--broker=nats", "--nats-url=nats://127.0.0.1:4222", "--subject-prefix=" + stream);
      } finally {
        jsm.deleteStream(stream);
      }
    }
  }

  /**
   * Writes half of the changes, starts {@code pgpubsub relay} with {@code brokerArgs} on a thread, writes the
   * other half while it runs, waits for every change at the broker, checks the order per key and the empty
   * table, then interrupts the thread (as SIGTERM asks it to stop) and checks the graceful exit.
   */
  private void relayAndCheck(TestDatabase db, Callable<Integer> count, Callable<List<JsonNode>> messages,
      String... brokerArgs) throws Exception {
    String channel = "cli_relay_" + CHANNELS.incrementAndGet();
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    ChannelDefinition def =
        new ChannelDefinition(channel, Change.class, false, true, true, null, null, Set.of(), Change.class.getName(),
            null, List.of(), null, true, DeadKeyPolicy.MOVE_ON);
    Notifier notifier = Notifier.create("public", List.of(def));
    for (int v = 1; v <= VERSIONS / 2; v++) {
      write(db, notifier, v);
    }
    List<String> args = new ArrayList<>(List.of("relay", "--jdbc-url=" + db.jdbcUrlWithCredentials(),
        "--channel=" + channel, "--workers=2", "--batch-size=4", "--poll-interval=200ms", "--log-level=warn"));
    args.addAll(List.of(brokerArgs));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    Thread runner = new Thread(
        () -> exit.complete(PgPubSubCli.execute(args.toArray(String[]::new), new PrintWriter(out, true),
            new PrintWriter(err, true))),
        "relay-command");
    runner.start();
    try {
      await(Duration.ofSeconds(30), "the relay to start; output: " + out + err,
          () -> out.toString().contains("pgpubsub: relaying channel '" + channel + "'"));
      assertThat(exit).as(err.toString()).isNotDone();
      for (int v = VERSIONS / 2 + 1; v <= VERSIONS; v++) {
        write(db, notifier, v);
      }
      await(Duration.ofSeconds(60), "every message at the broker; stderr: " + err,
          () -> count.call() >= KEYS * VERSIONS);
      Map<String, Integer> last = new HashMap<>();
      Set<Long> seen = new HashSet<>();
      List<String> problems = new ArrayList<>();
      for (JsonNode m : messages.call()) {
        if (!seen.add(m.get("id").asLong())) {
          continue; // a re-send: allowed, never a gap
        }
        String key = m.get("key").asText();
        int version = m.path("new").path("version").asInt();
        if (version != last.getOrDefault(key, 0) + 1) {
          problems.add("key " + key + ": version " + version + " after " + last.getOrDefault(key, 0));
        }
        last.put(key, version);
        assertThat(m.get("channel").asText()).isEqualTo(channel);
      }
      assertThat(problems).as("order per key").isEmpty();
      assertThat(last).hasSize(KEYS).allSatisfy((k, v) -> assertThat(v).as(k).isEqualTo(VERSIONS));
      await(Duration.ofSeconds(30), "the relayed rows to leave PostgreSQL",
          () -> count(db, "select count(*) from pgpubsub_notification where channel = '" + channel + "'") == 0);
    } finally {
      runner.interrupt();
    }
    assertThat(exit.get(60, TimeUnit.SECONDS)).as(err.toString()).isZero();
    assertThat(out.toString()).contains("pgpubsub: stopping").containsPattern("pgpubsub: stopped: \\d+ published, 0 dead");
  }

  /** Version {@code v} of every key, each in its own transaction. */
  private static void write(TestDatabase db, Notifier notifier, int v) throws Exception {
    for (int k = 0; k < KEYS; k++) {
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        notifier.send(c, new Change("k" + k, v), "k" + k);
        c.commit();
      }
    }
  }

  private static long count(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void await(Duration timeout, String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Boolean.TRUE.equals(condition.call())) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }
}
