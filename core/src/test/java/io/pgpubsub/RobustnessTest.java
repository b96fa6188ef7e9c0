package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static io.pgpubsub.Fixtures.inTransaction;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Settings and inputs at their extremes: huge rows, a "forever" poll interval, writers in flight at start. */
@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
@Timeout(90)
class RobustnessTest {

  public record Task(long n, String text) {}

  private final TestDatabase db;

  RobustnessTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Fixtures.install(db);
  }

  @Test
  void aRowWithA21MegabyteTextIsDelivered() throws Exception {
    AtomicInteger length = new AtomicInteger();
    ChannelDefinition ch =
        plain("huge", Task.class, true, plainListener("Huge#on", (t, inv) -> length.set(inv.newValue(Task.class).text().length())));
    Notifier notifier = Notifier.create("public", List.of(ch));
    String text = "x".repeat(21_000_000);
    try (Listener l = Fixtures.listener(db, ch).retryPolicy(RetryPolicy.noRetries()).build().start()) {
      inTransaction(db, c -> notifier.send(c, new Task(1, text)));
      await(Duration.ofSeconds(60), "the huge row handled", () ->
          count(db, "select count(*) from pgpubsub_notification where channel = 'huge' and dead_at is null") == 0);
      assertThat(l.deadLetters().count("huge")).as("dead letters").isZero();
    }
    assertThat(length.get()).isEqualTo(21_000_000);
  }

  @Test
  void aPollIntervalOfForeverIsAcceptedAndTheWorkersKeepDelivering() throws Exception {
    Set<Long> seen = ConcurrentHashMap.newKeySet();
    ChannelDefinition ch =
        plain("forever", Task.class, true, plainListener("Forever#on", (t, inv) -> seen.add(inv.newValue(Task.class).n())));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l =
        Fixtures.listener(db, ch).workers(1).pollInterval(Duration.ofSeconds(Long.MAX_VALUE)).build().start()) {
      for (long n = 1; n <= 3; n++) {
        long m = n;
        inTransaction(db, c -> notifier.send(c, new Task(m, "x")));
        await(Duration.ofSeconds(10), "notification " + n + " delivered", () -> seen.contains(m));
      }
    }
  }

  /**
   * recoverOnStart(false) leaves what was committed before the start to other listeners, but a writer
   * transaction still open at the start commits afterwards: its rows are this listener's, though their ids are
   * lower than rows committed before the start.
   */
  @Test
  void withoutRecoveryARowOfAWriterInFlightAtStartIsProcessedWhenItCommits() throws Exception {
    Set<Long> seen = ConcurrentHashMap.newKeySet();
    ChannelDefinition ch =
        plain("inflight", Task.class, true, plainListener("InFlight#on", (t, inv) -> seen.add(inv.newValue(Task.class).n())));
    Notifier notifier = Notifier.create("public", List.of(ch));
    inTransaction(db, c -> notifier.send(c, new Task(1, "committed long before the start")));
    try (Connection writer = db.connect()) {
      writer.setAutoCommit(false);
      notifier.send(writer, new Task(2, "in flight at the start"));
      inTransaction(db, c -> notifier.send(c, new Task(3, "committed just before the start")));
      try (Listener l = Fixtures.listener(db, ch).recoverOnStart(false).build().start()) {
        writer.commit();
        await(Duration.ofSeconds(10), "the in-flight writer's row processed", () -> seen.contains(2L));
        inTransaction(db, c -> notifier.send(c, new Task(4, "after the start")));
        await(Duration.ofSeconds(10), "a later row processed", () -> seen.contains(4L));
      }
    }
    assertThat(seen).as("what was committed before the in-flight writer began stays for others").doesNotContain(1L);
    assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'inflight' and payload -> 'new' ->> 'n' = '1'"))
        .isEqualTo(1);
  }
}
