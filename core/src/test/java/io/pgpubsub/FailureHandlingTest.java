package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static io.pgpubsub.Fixtures.inTransaction;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.TransactionResources;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
@Timeout(60)
class FailureHandlingTest {

  public record Task(long n, String mode) {}

  private final TestDatabase db;

  FailureHandlingTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("create table effects(channel text, n bigint, attempt int, primary key (channel, n))");
  }

  private static void effect(Connection c, String channel, long n, int attempt) throws Exception {
    try (PreparedStatement ps = c.prepareStatement("insert into effects(channel, n, attempt) values (?, ?, ?)")) {
      ps.setString(1, channel);
      ps.setLong(2, n);
      ps.setInt(3, attempt);
      ps.executeUpdate();
    }
  }

  private static RetryPolicy fast(int attempts) {
    return RetryPolicy.exponential(attempts, Duration.ofMillis(20), Duration.ofMillis(100));
  }

  @Test
  void aCallbackThatFailsTwiceIsRetriedAndSucceedsWhileItsBatchMatesCommitOnce() throws Exception {
    Map<Long, AtomicInteger> calls = new ConcurrentHashMap<>();
    ChannelDefinition ch =
        plain("flaky", Task.class, true, plainListener("Flaky#on", (t, inv) -> {
          Task task = inv.newValue(Task.class);
          calls.computeIfAbsent(task.n(), k -> new AtomicInteger()).incrementAndGet();
          Connection c = inv.resource(Connection.class);
          effect(c, "flaky", task.n(), inv.delivery().attempt()); // rolled back when we throw below
          if (task.mode().equals("flaky") && inv.delivery().attempt() < 3) {
            throw new IllegalStateException("transient failure " + inv.delivery().attempt());
          }
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Listener l =
        Fixtures.listener(db, ch).workers(1).retryPolicy(fast(5)).meterRegistry(meters).build()) {
      inTransaction(db, c -> {
        for (int i = 1; i <= 10; i++) {
          notifier.send(c, new Task(i, i == 5 ? "flaky" : "ok"));
        }
      });
      l.start(); // one batch holds all ten
      await(Duration.ofSeconds(20), "10 effects", () -> count(db, "select count(*) from effects where channel = 'flaky'") == 10);
      await(Duration.ofSeconds(5), "table empty", () -> count(db, "select count(*) from pgpubsub_notification where channel = 'flaky'") == 0);
      assertThat(count(db, "select attempt from effects where channel = 'flaky' and n = 5")).isEqualTo(3);
      assertThat(count(db, "select max(attempt) from effects where channel = 'flaky' and n <> 5")).isEqualTo(1);
      // once per attempt: the fast path's failure is recorded in safe mode without running it again
      assertThat(calls.get(5L).get()).isEqualTo(3);
      // batch mates before it ran on the fast path (rolled back) and again in safe mode; those after it once
      for (long n = 1; n <= 4; n++) {
        assertThat(calls.get(n).get()).as("calls of %d", n).isEqualTo(2);
      }
      for (long n = 6; n <= 10; n++) {
        assertThat(calls.get(n).get()).as("calls of %d", n).isEqualTo(1);
      }
      assertThat(meters.get("pgpubsub.notifications.processed").tag("channel", "flaky").counter().count()).isEqualTo(10);
      assertThat(meters.get("pgpubsub.notifications.failed").tag("channel", "flaky").counter().count()).isEqualTo(2);
      assertThat(meters.get("pgpubsub.notifications.retried").tag("channel", "flaky").counter().count()).isEqualTo(2);
      assertThat(meters.get("pgpubsub.notifications.lag").tag("channel", "flaky").timer().count()).isEqualTo(10);
    }
    assertThat(meters.find("pgpubsub.notifications.processed").counters()).as("meters removed on close").isEmpty();
  }

  @Test
  void anAlwaysFailingCallbackEndsDeadWithItsErrorWhileOthersFlowAndCanBeRetriedOrPurged() throws Exception {
    AtomicBoolean healed = new AtomicBoolean();
    ChannelDefinition ch =
        plain("poison", Task.class, true, plainListener("Poison#on", (t, inv) -> {
          Task task = inv.newValue(Task.class);
          if (task.mode().equals("poison") && !healed.get()) {
            throw new IllegalArgumentException("cannot handle task " + task.n());
          }
          effect(inv.resource(Connection.class), "poison", task.n(), inv.delivery().attempt());
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Listener l = Fixtures.listener(db, ch).retryPolicy(fast(3)).meterRegistry(meters).build().start()) {
      inTransaction(db, c -> {
        notifier.send(c, new Task(1, "poison"));
        notifier.send(c, new Task(2, "poison"));
        notifier.send(c, new Task(3, "ok"));
      });
      await(Duration.ofSeconds(20), "two dead", () -> l.deadLetters().count("poison") == 2);
      // others keep flowing, before and after the poison
      inTransaction(db, c -> notifier.send(c, new Task(4, "ok")));
      await(Duration.ofSeconds(20), "3 and 4 done", () -> count(db, "select count(*) from effects where channel = 'poison'") == 2);

      DeadLetters dead = l.deadLetters();
      List<DeadLetter> letters = dead.list("poison", 10);
      assertThat(letters).hasSize(2);
      DeadLetter first = letters.get(0);
      assertThat(first.attempts()).isEqualTo(3);
      assertThat(first.payload()).contains("\"n\": 1").contains("\"op\": \"NOTIFY\"");
      assertThat(first.lastError())
          .startsWith("java.lang.IllegalArgumentException: cannot handle task 1")
          .contains("\tat io.pgpubsub.FailureHandlingTest");
      assertThat(first.deadAt()).isAfterOrEqualTo(first.createdAt());
      assertThat(dead.list(100)).extracting(DeadLetter::channel).contains("poison");
      assertThat(meters.get("pgpubsub.notifications.dead").tag("channel", "poison").counter().count()).isEqualTo(2);

      healed.set(true);
      assertThat(dead.retry(first.id())).isTrue();
      await(Duration.ofSeconds(20), "retried one processed", () ->
          count(db, "select count(*) from effects where channel = 'poison' and n = 1") == 1);
      assertThat(dead.purge(letters.get(1).id())).isTrue();
      assertThat(dead.purge(letters.get(1).id())).isFalse();
      assertThat(dead.count("poison")).isZero();
    }
    assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'poison'")).isZero();
    assertThat(count(db, "select count(*) from effects where channel = 'poison' and n = 2")).isZero();
  }

  @Test
  void anUndecodablePayloadIsDeadAtOnceWithAMessageNamingChannelAndField() throws Exception {
    AtomicInteger ok = new AtomicInteger();
    ChannelDefinition ch =
        plain("undecodable", Task.class, true, plainListener("U#on", (t, inv) -> {
          inv.newValue(Task.class);
          ok.incrementAndGet();
        }));
    db.execute(
        "insert into pgpubsub_notification(channel, payload) values"
            + " ('undecodable', '{\"op\":\"NOTIFY\",\"new\":{\"n\":\"not a number\",\"mode\":\"x\"},\"context\":{},\"v\":\"x\"}'),"
            + " ('undecodable', '{\"op\":\"NOTIFY\",\"new\":{\"n\":7,\"mode\":\"x\"},\"context\":{},\"v\":\"x\"}'),"
            + " ('undecodable', '{\"op\":\"BOGUS\"}')");
    try (Listener l = Fixtures.listener(db, ch).retryPolicy(fast(5)).build().start()) {
      await(Duration.ofSeconds(20), "two dead", () -> l.deadLetters().count("undecodable") == 2);
      await(Duration.ofSeconds(5), "good one processed", () -> ok.get() == 1);
      List<DeadLetter> dead = l.deadLetters().list("undecodable", 10);
      assertThat(dead.get(0).attempts()).as("never retried").isEqualTo(1);
      assertThat(dead.get(0).lastError())
          .contains("channel 'undecodable'")
          .contains("'n'")
          .contains(Task.class.getName());
      assertThat(dead.get(1).lastError()).contains("channel 'undecodable'").contains("BOGUS");
    }
  }

  @Test
  void aFailingFlushOfTheTransactionResourcesIsAFailedAttempt() throws Exception {
    AtomicInteger flushes = new AtomicInteger();
    AtomicInteger closes = new AtomicInteger();
    TransactionResources resources = connection -> new TransactionResources.Scope() {
      @Override
      public <T> T get(Class<T> type) {
        return type == StringBuilder.class ? type.cast(new StringBuilder("session")) : null;
      }

      @Override
      public void beforeCompletion() {
        if (flushes.incrementAndGet() <= 2) {
          throw new IllegalStateException("flush failed");
        }
      }

      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };
    AtomicInteger seen = new AtomicInteger();
    ChannelDefinition ch =
        plain("flush", Task.class, true, plainListener("F#on", (t, inv) -> {
          assertThat(inv.resource(StringBuilder.class).toString()).isEqualTo("session");
          seen.incrementAndGet();
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l =
        Fixtures.listener(db, ch).retryPolicy(fast(5)).transactionResources(resources).build().start()) {
      inTransaction(db, c -> notifier.send(c, new Task(1, "x")));
      await(Duration.ofSeconds(20), "processed", () -> count(db, "select count(*) from pgpubsub_notification where channel = 'flush'") == 0);
    }
    assertThat(flushes.get()).isEqualTo(3);
    assertThat(closes.get()).as("every scope closed").isEqualTo(3);
    assertThat(seen.get()).isEqualTo(3);
  }

  @Test
  void aCallbackCannotCommitOrCloseTheListenersConnection() throws Exception {
    ChannelDefinition ch =
        plain("committer", Task.class, true, plainListener("C#on", (t, inv) -> {
          Connection c = inv.resource(Connection.class);
          effect(c, "committer", inv.newValue(Task.class).n(), inv.delivery().attempt());
          c.commit();
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l = Fixtures.listener(db, ch).retryPolicy(RetryPolicy.noRetries()).build().start()) {
      inTransaction(db, c -> notifier.send(c, new Task(1, "x")));
      await(Duration.ofSeconds(20), "dead", () -> l.deadLetters().count("committer") == 1);
      assertThat(l.deadLetters().list("committer", 1).get(0).lastError())
          .contains("must not call Connection.commit()");
    }
    assertThat(count(db, "select count(*) from effects where channel = 'committer'")).isZero();
  }
}
