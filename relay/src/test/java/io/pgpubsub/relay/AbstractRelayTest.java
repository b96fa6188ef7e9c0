package io.pgpubsub.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.DeadKeyPolicy;
import io.pgpubsub.DeadLetter;
import io.pgpubsub.DeadLetters;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.Notifier;
import io.pgpubsub.relay.TestBroker.Received;
import io.pgpubsub.relay.TestBroker.TestConsumer;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.RestartableServer;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The relay's guarantees on a real broker and a real PostgreSQL, for every relay module (each subclasses this
 * with its {@link TestBroker}). Per key the consumer must see the committed sequence 1, 2, 3, ... in order, with
 * no gap, and at most re-sends of an id already seen (none at all where the broker drops duplicates).
 */
@PostgresTest
@Timeout(150)
public abstract class AbstractRelayTest {

  /** The relayed record: writers bump the key's version and send it in one transaction. */
  public record Change(String key, int version, String padding) {}

  protected final TestDatabase db;
  protected final TestBroker broker;
  /** Where the writes, counts and relays go: the shared test database, or a server of the test's own. */
  private Callable<Connection> connections;
  private String url;
  private String user;
  private String password;
  private String channel;
  private Notifier notifier;
  private static final AtomicInteger CHANNELS = new AtomicInteger();

  protected AbstractRelayTest(TestDatabase db, TestBroker broker) {
    this.db = db;
    this.broker = broker;
  }

  @BeforeEach
  void setUp() throws Exception {
    connections = db::connect;
    url = db.jdbcUrl();
    user = db.user();
    password = db.password();
    channel = "relay_" + CHANNELS.incrementAndGet() + "_" + Long.toHexString(System.nanoTime() & 0xffffff);
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      NotificationTable.install(c, "public");
      s.execute("create table if not exists relay_versions(channel text, key text, v int not null,"
          + " primary key (channel, key))");
    }
    ChannelDefinition def =
        new ChannelDefinition(channel, Change.class, false, true, true, null, null, Set.of(), Change.class.getName(),
            null, List.of(), null, true, DeadKeyPolicy.MOVE_ON);
    notifier = Notifier.create("public", List.of(def));
  }

  private Relay.Builder relay(String target) throws Exception {
    return relay(broker.publisher(target));
  }

  private Relay.Builder relay(RelayPublisher publisher) {
    return Relay.builder()
        .jdbcUrl(url)
        .user(user)
        .password(password)
        .channel(channel)
        .publisher(publisher)
        .batchSize(100)
        .pollInterval(Duration.ofMillis(200))
        .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .confirmTimeout(Duration.ofSeconds(40));
  }

  /** Writes one change of {@code key} (its next version) in its own transaction. */
  private int write(String key, String padding) throws Exception {
    try (Connection c = connections.call()) {
      c.setAutoCommit(false);
      int v;
      try (PreparedStatement ps = c.prepareStatement(
          "insert into relay_versions(channel, key, v) values (?, ?, 1)"
              + " on conflict (channel, key) do update set v = relay_versions.v + 1 returning v")) {
        ps.setString(1, channel);
        ps.setString(2, key);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          v = rs.getInt(1);
        }
      }
      notifier.send(c, new Change(key, v, padding), key);
      c.commit();
      return v;
    }
  }

  /** {@code updates} changes of each of {@code keys} keys, by 4 writer threads, keys interleaved. */
  private Future<?> writeInBackground(ExecutorService pool, int keys, int updates) {
    return pool.submit(
        () -> {
          ExecutorService writers = Executors.newFixedThreadPool(4);
          try {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
              int writer = w;
              fs.add(writers.submit((Callable<Void>) () -> {
                for (int u = 0; u < updates; u++) {
                  for (int k = writer; k < keys; k += 4) {
                    write("k" + k, "");
                  }
                }
                return null;
              }));
            }
            for (Future<?> f : fs) {
              f.get();
            }
          } finally {
            writers.shutdown();
          }
          return null;
        });
  }

  private static Map<String, Integer> expected(int keys, int updates) {
    Map<String, Integer> m = new HashMap<>();
    for (int k = 0; k < keys; k++) {
      m.put("k" + k, updates);
    }
    return m;
  }

  /** Waits until the consumer has seen every expected (key, version), then checks order, gaps and duplicates. */
  private void awaitInOrder(TestConsumer consumer, Map<String, Integer> expected, Duration timeout) throws Exception {
    int total = expected.values().stream().mapToInt(Integer::intValue).sum();
    await(timeout, "the consumer to receive " + total + " distinct messages",
        () -> consumer.received().stream().map(Received::id).distinct().count() >= total);
    List<Received> received = consumer.received();
    Map<String, Integer> last = new HashMap<>();
    Set<Long> seen = new HashSet<>();
    Map<Long, Received> byId = new HashMap<>();
    int duplicates = 0;
    List<String> problems = new ArrayList<>();
    for (Received r : received) {
      if (!seen.add(r.id())) {
        duplicates++;
        if (!byId.get(r.id()).equals(r)) {
          problems.add("id " + r.id() + " re-sent with other content: " + r + " vs " + byId.get(r.id()));
        }
        continue;
      }
      byId.put(r.id(), r);
      int prev = last.getOrDefault(r.key(), 0);
      if (r.version() != prev + 1) {
        problems.add("key " + r.key() + ": version " + r.version() + " (id " + r.id() + ") after " + prev);
      }
      last.put(r.key(), r.version());
    }
    assertThat(problems).as("order and gaps per key").isEmpty();
    assertThat(last).as("last version per key").isEqualTo(expected);
    if (broker.dropsDuplicates()) {
      assertThat(duplicates).as("duplicates (the broker drops re-sends of an id)").isZero();
    }
    // a re-send the broker dropped as a duplicate may still be committing: wait for the table to empty
    await(Duration.ofSeconds(60), "every relayed notification to leave PostgreSQL",
        () -> count("select count(*) from pgpubsub_notification where channel = '" + channel + "'"
            + " and dead_at is null") == 0);
  }

  /**
   * The whole PostgreSQL server restarts while a writer writes and the relay publishes: the relay's connections
   * break, it backs off and reconnects, and per key the consumer still sees every committed version in order,
   * with no gap (a claim that was publishing when the server went down rolled back, so its rows are published
   * again: re-sends of an id, which the broker drops where it can). A server of the test's own.
   */
  @Test
  void aPostgresRestartUnderAWriteLoadLosesNothingAndKeepsTheOrder() throws Exception {
    String target = broker.newTarget();
    try (RestartableServer pg = RestartableServer.start(Map.of())) {
      connections = () -> DriverManager.getConnection(pg.url());
      url = pg.url();
      user = null;
      password = null;
      try (Connection c = connections.call(); Statement s = c.createStatement()) {
        NotificationTable.install(c, "public");
        s.execute("create table relay_versions(channel text, key text, v int not null, primary key (channel, key))");
      }
      ExecutorService pool = Executors.newSingleThreadExecutor();
      try (TestConsumer consumer = broker.consumer(target);
          Relay relay = relay(target).workers(2).build().start()) {
        Future<?> writing = pool.submit((Callable<Void>) () -> {
          for (int u = 0; u < 10; u++) {
            for (int k = 0; k < 20; k++) {
              writeRetrying("k" + k);
            }
          }
          return null;
        });
        await(Duration.ofSeconds(60), "the first changes relayed", () -> consumer.received().size() >= 40);
        pg.restart();
        writing.get(120, TimeUnit.SECONDS);
        Map<String, Integer> expected = new HashMap<>();
        try (Connection c = connections.call();
            Statement s = c.createStatement();
            ResultSet rs = s.executeQuery("select key, v from relay_versions")) {
          while (rs.next()) {
            expected.put(rs.getString(1), rs.getInt(2));
          }
        }
        assertThat(expected).hasSize(20);
        awaitInOrder(consumer, expected, Duration.ofSeconds(90));
        assertThat(relay.dead()).isZero();
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** {@link #write}, again until the server answers (it restarts under the writer). */
  private void writeRetrying(String key) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        write(key, "");
        return;
      } catch (java.sql.SQLException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
    }
  }

  @Test
  void everyKeyArrivesInCommitOrderWithoutGapsWhileWritersWrite() throws Exception {
    String target = broker.newTarget();
    ExecutorService pool = Executors.newCachedThreadPool();
    try (TestConsumer consumer = broker.consumer(target);
        Relay relay = relay(target).workers(2).build().start()) {
      Future<?> writing = writeInBackground(pool, 50, 10);
      writing.get(90, TimeUnit.SECONDS);
      awaitInOrder(consumer, expected(50, 10), Duration.ofSeconds(60));
      assertThat(relay.published()).isGreaterThanOrEqualTo(500);
      assertThat(relay.dead()).isZero();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aKilledRelayProcessLosesNothingAndKeepsOrder() throws Exception {
    String target = broker.newTarget();
    ExecutorService pool = Executors.newCachedThreadPool();
    try (TestConsumer consumer = broker.consumer(target)) {
      Future<?> writing = writeInBackground(pool, 50, 12);
      try (ChildRelay first = child("first", target)) {
        await(Duration.ofSeconds(60), "the first relay to publish 150 messages",
            () -> consumer.received().size() >= 150);
        first.kill(); // mid-stream: batches in flight, unconfirmed or confirmed and not yet committed
      }
      try (ChildRelay second = child("second", target)) {
        writing.get(90, TimeUnit.SECONDS);
        awaitInOrder(consumer, expected(50, 12), Duration.ofSeconds(90));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoRelayProcessesShareOneChannel() throws Exception {
    String target = broker.newTarget();
    ExecutorService pool = Executors.newCachedThreadPool();
    try (TestConsumer consumer = broker.consumer(target);
        ChildRelay a = child("a", target);
        ChildRelay b = child("b", target)) {
      await(Duration.ofSeconds(60), "both relay processes to start", () -> a.started() && b.started());
      Future<?> writing = writeInBackground(pool, 50, 12);
      writing.get(90, TimeUnit.SECONDS);
      awaitInOrder(consumer, expected(50, 12), Duration.ofSeconds(90));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aMessageTheBrokerRefusesGoesDeadWithTheBrokersErrorAndOtherKeysFlow() throws Exception {
    String target = broker.newTarget();
    String poison = broker.refusedKey();
    try (TestConsumer consumer = broker.consumer(target);
        Relay relay = relay(target).workers(2).build().start()) {
      write(poison, "x".repeat(100_000));
      for (int u = 0; u < 3; u++) {
        for (int k = 0; k < 50; k++) {
          write("k" + k, "");
        }
      }
      awaitInOrder(consumer, expected(50, 3), Duration.ofSeconds(60));
      await(Duration.ofSeconds(30), "the refused message to be dead", () -> relay.dead() == 1);
      List<DeadLetter> dead = DeadLetters.of(db.dataSource()).list(channel, 10);
      assertThat(dead).hasSize(1);
      assertThat(dead.get(0).attempts()).as("attempts: refused once, never looped").isEqualTo(1);
      assertThat(dead.get(0).lastError()).contains(broker.refusalText());
      assertThat(consumer.received()).noneMatch(r -> r.key().equals(poison));
      if (broker.refusesBySize()) {
        // the key moves on (MOVE_ON): its next, small message flows
        write(poison, "");
        await(Duration.ofSeconds(30), "the poison key's next message",
            () -> consumer.received().stream().anyMatch(r -> r.key().equals(poison) && r.version() == 2));
        assertThat(relay.dead()).isEqualTo(1);
      }
    }
  }

  @Test
  protected void aBrokerThatIsDownMakesTheBacklogWaitInPostgresAndNothingIsLost() throws Exception {
    String target = broker.newTarget();
    try (TcpProxy proxy = new TcpProxy(broker.host(), broker.port())) {
      RelayPublisher viaProxy = broker.publisherVia(target, "127.0.0.1", proxy.port());
      Assumptions.assumeTrue(viaProxy != null,
          "this broker cannot be cut through a TCP proxy (it advertises its own address to clients)");
      try (TestConsumer consumer = broker.consumer(target);
          Relay relay = relay(viaProxy).workers(2).build().start()) {
        for (int k = 0; k < 50; k++) {
          write("k" + k, "");
        }
        await(Duration.ofSeconds(30), "the first 50 messages", () -> consumer.received().size() >= 50);
        proxy.cut();
        for (int u = 0; u < 4; u++) {
          for (int k = 0; k < 50; k++) {
            write("k" + k, "");
          }
        }
        await(Duration.ofSeconds(60), "the relay to meet the cut broker", () -> relay.transientFailures() > 0);
        long waiting = count("select count(*) from pgpubsub_notification where channel = '" + channel + "'");
        assertThat(waiting).as("the backlog waits in PostgreSQL").isPositive();
        assertThat(count("select count(*) from pgpubsub_notification where channel = '" + channel
            + "' and dead_at is not null")).as("nothing dead while the broker is down").isZero();
        proxy.restore();
        awaitInOrder(consumer, expected(50, 5), Duration.ofSeconds(90));
        assertThat(relay.dead()).isZero();
      }
    }
  }

  private ChildRelay child(String name, String target) throws Exception {
    return ChildRelay.start(name, broker.childJvmArgs(), broker.getClass().getName(), target, db.jdbcUrl(),
        db.user(), db.password() == null ? "" : db.password(), channel, "2");
  }

  private long count(String sql) throws Exception {
    try (Connection c = connections.call(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  protected static void await(Duration timeout, String what, Callable<Boolean> condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (Boolean.TRUE.equals(condition.call())) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
  }
}
