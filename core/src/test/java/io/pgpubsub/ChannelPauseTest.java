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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link ChannelControl#pause}: two listener instances (two pools, as two processes would have) stop claiming a
 * paused channel, while they go on with their other channels, and claim its notifications once it is resumed,
 * each exactly once.
 */
@PostgresTest
@Timeout(60)
class ChannelPauseTest {

  public record Job(long n) {}

  public record CtlA(long n) {}

  public record CtlB(long n) {}

  public record Late(long n) {}

  public record LateCtl(long n) {}

  @Test
  void aPausedChannelWaitsInEveryListenerProcessAndRunsOnceResumed(TestDatabase db) throws Exception {
    Fixtures.install(db);
    Set<Long> done = ConcurrentHashMap.newKeySet();
    AtomicInteger runs = new AtomicInteger();
    AtomicInteger controlRuns = new AtomicInteger();
    ChannelDefinition pausable =
        plain("pausable", Job.class, true, plainListener("Pausable#on", (t, inv) -> {
          runs.incrementAndGet();
          done.add(inv.newValue(Job.class).n());
        }));
    ChannelDefinition controlA =
        plain("control_a", CtlA.class, true, plainListener("ControlA#on", (t, inv) -> controlRuns.incrementAndGet()));
    ChannelDefinition controlB =
        plain("control_b", CtlB.class, true, plainListener("ControlB#on", (t, inv) -> controlRuns.incrementAndGet()));
    Notifier notifier = Notifier.create("public", List.of(pausable, controlA, controlB));
    try (Listener a = Fixtures.listener(db, pausable, controlA).name("pause-a").workers(2).build().start();
        Listener b = Fixtures.listener(db, pausable, controlB).name("pause-b").workers(2).build().start()) {
      inTransaction(db, c -> notifier.send(c, new Job(0)));
      await(Duration.ofSeconds(10), "the first notification, before the pause", () -> done.contains(0L));

      try (Connection c = db.connect()) {
        assertThat(ChannelControl.pause(c, "public", "pausable", "the test")).isTrue();
        assertThat(ChannelControl.pause(c, "public", "pausable", "again")).as("already paused").isFalse();
        assertThat(ChannelControl.paused(c, "public"))
            .singleElement()
            .satisfies(p -> assertThat(p.pausedBy()).isEqualTo("the test"));
      }
      await(Duration.ofSeconds(5), "both listeners see the pause (they look every second)",
          () -> a.pausedChannels().contains("pausable") && b.pausedChannels().contains("pausable"));

      inTransaction(db, c -> {
        for (long n = 1; n <= 20; n++) {
          notifier.send(c, new Job(n));
        }
      });
      // each listener then claims on its own control channel: a claim made after the paused writes committed
      inTransaction(db, c -> notifier.send(c, new CtlA(100)));
      inTransaction(db, c -> notifier.send(c, new CtlB(101)));
      await(Duration.ofSeconds(10), "both control notifications processed", () -> controlRuns.get() == 2);
      assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'control_a'")).isZero();
      assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'control_b'")).isZero();
      assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'pausable'"))
          .as("the paused channel's writes stay pending in both processes")
          .isEqualTo(20);
      assertThat(runs.get()).isEqualTo(1);

      try (Connection c = db.connect()) {
        assertThat(ChannelControl.resume(c, "public", "pausable")).isTrue();
        assertThat(ChannelControl.resume(c, "public", "pausable")).as("not paused any more").isFalse();
        assertThat(ChannelControl.paused(c, "public")).isEmpty();
      }
      await(Duration.ofSeconds(10), "every paused write processed after the resume", () -> done.size() == 21);
      await(Duration.ofSeconds(5), "the table empty",
          () -> count(db, "select count(*) from pgpubsub_notification where channel = 'pausable'") == 0);
      assertThat(runs.get()).as("each notification ran once").isEqualTo(21);
    }
  }

  @Test
  void aListenerStartedWhileItsChannelIsPausedClaimsNothingUntilResumed(TestDatabase db) throws Exception {
    Fixtures.install(db);
    AtomicInteger runs = new AtomicInteger();
    ChannelDefinition ch =
        plain("paused_at_start", Late.class, true, plainListener("PausedAtStart#on", (t, inv) -> runs.incrementAndGet()));
    ChannelDefinition control =
        plain("control_at_start", LateCtl.class, true, plainListener("ControlAtStart#on", (t, inv) -> runs.addAndGet(1000)));
    Notifier notifier = Notifier.create("public", List.of(ch, control));
    try (Connection c = db.connect()) {
      ChannelControl.pause(c, "public", "paused_at_start", null);
    }
    inTransaction(db, c -> notifier.send(c, new Late(1)));
    try (Listener l = Fixtures.listener(db, ch, control).name("paused-at-start").build().start()) {
      assertThat(l.pausedChannels()).containsExactly("paused_at_start");
      inTransaction(db, c -> notifier.send(c, new LateCtl(2)));
      await(Duration.ofSeconds(10), "the control notification", () -> runs.get() >= 1000);
      assertThat(runs.get()).as("nothing of the paused channel ran").isEqualTo(1000);
      try (Connection c = db.connect()) {
        ChannelControl.resume(c, "public", "paused_at_start");
      }
      await(Duration.ofSeconds(10), "the paused notification, after the resume", () -> runs.get() == 1001);
    }
  }
}
