package io.pgpubsub;

import static io.pgpubsub.Fixtures.count;
import static io.pgpubsub.Fixtures.inTransaction;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Listener.drain and awaitIdle: everything stored now is processed or dead when they return, and the counts are exact. */
@PostgresTest
@Timeout(120)
class DrainTest {

  public record Job(long n, String mode) {}

  static final Set<Long> DONE = ConcurrentHashMap.newKeySet();

  static ChannelDefinition jobs() {
    return plain("jobs", Job.class, true, plainListener("Jobs#on", (t, inv) -> {
      Job job = inv.newValue(Job.class);
      if (job.mode().equals("poison")) {
        throw new IllegalStateException("poison " + job.n());
      }
      if (job.mode().equals("flaky") && inv.delivery().attempt() < 2) {
        throw new IllegalStateException("flaky " + job.n());
      }
      DONE.add(job.n());
    }));
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Fixtures.install(db);
  }

  static void store(TestDatabase db, Notifier notifier, long from, long to, String mode) throws Exception {
    inTransaction(db, c -> {
      for (long n = from; n <= to; n++) {
        notifier.send(c, new Job(n, mode));
      }
    });
  }

  @Test
  void drainProcessesEverythingStoredNowAndCountsExactly(TestDatabase db) throws Exception {
    ChannelDefinition ch = jobs();
    Notifier notifier = Notifier.create("public", List.of(ch));
    // stored before the listener starts (recovered) ...
    store(db, notifier, 1, 300, "ok");
    store(db, notifier, 1001, 1002, "flaky");
    store(db, notifier, 2001, 2001, "poison");
    try (Listener l =
        Fixtures.listener(db, ch)
            .batchSize(50)
            .retryPolicy(RetryPolicy.exponential(3, Duration.ofMillis(20), Duration.ofMillis(50)))
            .build()
            .start()) {
      DrainResult first = l.drain(Duration.ofSeconds(60));
      assertThat(first).isEqualTo(new DrainResult(302, 2 + 3, 1));
      assertThat(DONE).hasSize(302);
      assertThat(count(db, "select count(*) from pgpubsub_notification where dead_at is null")).isZero();
      assertThat(count(db, "select count(*) from pgpubsub_notification where dead_at is not null")).isOne();

      // ... and stored while it runs
      store(db, notifier, 3001, 3100, "ok");
      assertThat(l.drain(Duration.ofSeconds(60))).isEqualTo(new DrainResult(100, 0, 0));
      assertThat(l.awaitIdle(Duration.ofSeconds(60))).as("nothing left").isEqualTo(new DrainResult(0, 0, 0));
      assertThat(DONE).hasSize(402);
    }
  }

  @Test
  void aDrainThatCannotFinishSaysWhatIsLeft(TestDatabase db) throws Exception {
    ChannelDefinition ch = jobs();
    Notifier notifier = Notifier.create("public", List.of(ch));
    store(db, notifier, 5001, 5001, "poison");
    try (Listener l =
        Fixtures.listener(db, ch)
            .retryPolicy(RetryPolicy.exponential(3, Duration.ofMinutes(10), Duration.ofMinutes(10)))
            .build()
            .start()) {
      assertThatThrownBy(() -> l.drain(Duration.ofMillis(1500)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("did not drain within PT1.5S")
          .hasMessageContaining("1 notification(s) of [jobs] still waiting (1 of them for a retry delay)");
    }
    Listener stopped = Fixtures.listener(db, ch).build();
    assertThatThrownBy(() -> stopped.drain(Duration.ofSeconds(1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is not running");
  }
}
