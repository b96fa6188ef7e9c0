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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every failed attempt of a notification is kept in {@code pgpubsub_attempt} (when, which attempt, the first
 * lines of the error), at most the last 10; a retry of the dead letter keeps it; a notification that succeeds
 * writes nothing there.
 */
@PostgresTest
@Timeout(60)
class AttemptHistoryTest {

  public record Failing(long n) {}

  public record Fine(long n) {}

  record Attempt(int attempt, String error, String listener) {}

  @Test
  void failedAttemptsAreKeptBoundedAndSurviveARetry(TestDatabase db) throws Exception {
    Fixtures.install(db);
    AtomicInteger calls = new AtomicInteger();
    String longLine = "x".repeat(5_000);
    ChannelDefinition failing =
        plain("history_failing", Failing.class, true, plainListener("Failing#on", (t, inv) -> {
          int call = calls.incrementAndGet();
          throw new IllegalStateException("call " + call + " failed\nsecond line\nthird line " + longLine);
        }));
    ChannelDefinition fine = plain("history_fine", Fine.class, true, plainListener("Fine#on", (t, inv) -> {}));
    Notifier notifier = Notifier.create("public", List.of(failing, fine));
    long id;
    try (Listener l =
        Fixtures.listener(db, failing, fine)
            .name("history")
            .workers(1)
            .retryPolicy(RetryPolicy.exponential(12, Duration.ofMillis(5), Duration.ofMillis(20)))
            .build()
            .start()) {
      long[] ids = new long[2];
      inTransaction(db, c -> {
        ids[0] = notifier.send(c, new Failing(1));
        ids[1] = notifier.send(c, new Fine(1));
      });
      id = ids[0];
      await(Duration.ofSeconds(20), "dead after 12 attempts",
          () -> count(db, "select count(*) from pgpubsub_notification where dead_at is not null and id = " + id) == 1);
      List<Attempt> history = history(db, id);
      assertThat(history).as("the last 10 of 12 attempts, newest first").hasSize(10);
      assertThat(history.get(0).attempt()).isEqualTo(12);
      assertThat(history.get(9).attempt()).isEqualTo(3);
      assertThat(history.get(0).error())
          .startsWith("java.lang.IllegalStateException: call 12 failed\nsecond line")
          .hasSizeLessThanOrEqualTo(1_010); // first lines, bounded
      assertThat(history.get(0).listener()).startsWith("history@");
      assertThat(count(db, "select count(*) from pgpubsub_attempt where notification_id = " + ids[1]))
          .as("the notification that succeeded left no history")
          .isZero();

      assertThat(l.deadLetters().retry(id)).isTrue();
      await(Duration.ofSeconds(20), "dead again after the retry",
          () -> count(db, "select count(*) from pgpubsub_notification where dead_at is not null and attempts = 12 and id = " + id) == 1);
      List<Attempt> after = history(db, id);
      assertThat(after).hasSize(10);
      assertThat(after.get(0).error()).startsWith("java.lang.IllegalStateException: call 24 failed");
    }
  }

  @Test
  void aRetryKeepsTheHistory(TestDatabase db) throws Exception {
    Fixtures.install(db);
    ChannelDefinition failing =
        plain("history_retry", Failing.class, true, plainListener("Failing#on", (t, inv) -> {
          throw new IllegalArgumentException("nope");
        }));
    Notifier notifier = Notifier.create("public", List.of(failing));
    long[] ids = new long[1];
    inTransaction(db, c -> ids[0] = notifier.send(c, new Failing(2)));
    try (Listener l =
        Fixtures.listener(db, failing)
            .name("history-retry")
            .retryPolicy(RetryPolicy.exponential(2, Duration.ofMillis(5), Duration.ofMillis(5)))
            .build()
            .start()) {
      await(Duration.ofSeconds(20), "dead after 2 attempts",
          () -> count(db, "select count(*) from pgpubsub_notification where dead_at is not null and id = " + ids[0]) == 1);
    }
    assertThat(DeadLetters.of(db.dataSource(), "public").retry(ids[0])).isTrue();
    assertThat(count(db, "select attempts from pgpubsub_notification where id = " + ids[0])).as("attempts reset").isZero();
    assertThat(history(db, ids[0])).extracting(Attempt::attempt).containsExactly(2, 1);
  }

  private static List<Attempt> history(TestDatabase db, long id) throws Exception {
    List<Attempt> out = new ArrayList<>();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "select attempt, error, listener from pgpubsub_attempt where notification_id = ? order by at desc")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Attempt(rs.getInt(1), rs.getString(2), rs.getString(3)));
        }
      }
    }
    return out;
  }
}
