package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
@Timeout(60)
class BroadcastAndInputTest {

  public record Note(int n, String text) {}

  public record Hostile(String quotes, String injection, String backslashes, String unicode, String big) {}

  private final TestDatabase db;

  BroadcastAndInputTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("create table x(id int)");
  }

  @Test
  void everyConnectedListenerReceivesEveryBroadcastSmallAndLarge() throws Exception {
    List<Note> a = new CopyOnWriteArrayList<>();
    List<Note> b = new CopyOnWriteArrayList<>();
    ChannelDefinition forA = plain("news", Note.class, false, plainListener("A#on", (t, inv) -> a.add(inv.newValue(Note.class))));
    ChannelDefinition forB = plain("news", Note.class, false, plainListener("B#on", (t, inv) -> b.add(inv.newValue(Note.class))));
    Notifier notifier = Notifier.create("public", List.of(forA));
    String large = "x".repeat(20_000);
    try (Listener la = Fixtures.listener(db, forA).build().start();
        Listener lb = Fixtures.listener(db, forB).build().start()) {
      long[] ids = new long[2];
      inTransaction(db, c -> {
        ids[0] = notifier.send(c, new Note(1, "small"));
        ids[1] = notifier.send(c, new Note(2, large));
      });
      assertThat(ids[0]).as("small events travel in the NOTIFY").isZero();
      assertThat(ids[1]).as("large events are stored and referenced").isPositive();
      await(Duration.ofSeconds(20), "both listeners got both", () -> a.size() == 2 && b.size() == 2);
    }
    assertThat(a).containsExactlyInAnyOrder(new Note(1, "small"), new Note(2, large));
    assertThat(b).containsExactlyInAnyOrderElementsOf(a);
    assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'news'")).isZero();
  }

  @Test
  void aFailingBroadcastCallbackIsRetriedInProcessThenStoredDeadAndCanBeRetriedOnce() throws Exception {
    AtomicInteger flakyCalls = new AtomicInteger();
    AtomicBoolean healed = new AtomicBoolean();
    List<Integer> done = new CopyOnWriteArrayList<>();
    ChannelDefinition ch =
        plain("alerts", Note.class, false, plainListener("Alerts#on", (t, inv) -> {
          Note note = inv.newValue(Note.class);
          if (note.text().equals("flaky") && flakyCalls.incrementAndGet() < 2) {
            throw new IllegalStateException("flaky once");
          }
          if (note.text().equals("poison") && !healed.get()) {
            throw new IllegalStateException("poison " + note.n());
          }
          done.add(note.n());
        }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l =
        Fixtures.listener(db, ch)
            .retryPolicy(RetryPolicy.exponential(3, Duration.ofMillis(10), Duration.ofMillis(50)))
            .build()
            .start()) {
      inTransaction(db, c -> {
        notifier.send(c, new Note(1, "flaky"));
        notifier.send(c, new Note(2, "poison"));
        notifier.send(c, new Note(3, "fine"));
      });
      await(Duration.ofSeconds(20), "dead broadcast stored", () -> l.deadLetters().count("alerts") == 1);
      await(Duration.ofSeconds(5), "others done", () -> done.containsAll(List.of(1, 3)));
      DeadLetter dead = l.deadLetters().list("alerts", 10).get(0);
      assertThat(dead.attempts()).isEqualTo(3);
      assertThat(dead.payload()).contains("poison");
      assertThat(dead.lastError()).contains("IllegalStateException: poison 2");
      healed.set(true);
      assertThat(l.deadLetters().retry(dead.id())).isTrue();
      await(Duration.ofSeconds(20), "retried dead broadcast processed", () -> done.contains(2));
      await(Duration.ofSeconds(5), "and removed", () -> count(db, "select count(*) from pgpubsub_notification where channel = 'alerts'") == 0);
    }
    assertThat(done).containsExactlyInAnyOrder(1, 3, 2);
  }

  @Test
  void oldBroadcastCopiesArePurged() throws Exception {
    db.execute(
        "insert into pgpubsub_broadcast(channel, payload, created_at) values"
            + " ('old', '{}', now() - interval '2 hours'), ('old', '{}', now())");
    ChannelDefinition ch = plain("purging", Note.class, false, plainListener("P#on", (t, inv) -> {}));
    try (Listener l = Fixtures.listener(db, ch).build().start()) {
      await(Duration.ofSeconds(20), "old copy purged", () -> count(db, "select count(*) from pgpubsub_broadcast where channel = 'old'") == 1);
    }
  }

  @Test
  void hostileStringsArriveByteForByteOnLockableAndBroadcastChannels() throws Exception {
    Hostile hostile =
        new Hostile(
            "it's \"quoted\" '' \"\" `back`",
            "'); DROP TABLE x; -- \"); DROP TABLE x; --",
            "\\ \\\\ \\n \\u0000 \\' C:\\temp\\",
            "héllo wörld – ✓ 漢字 😀 עברית \u202e reversed \u0301 combining \t tab \n newline",
            "ü".repeat(300_000) + "<big/>".repeat(80_000));
    assertThat(hostile.big().length()).isGreaterThan(700_000);
    List<Hostile> lockable = new CopyOnWriteArrayList<>();
    List<Hostile> broadcast = new CopyOnWriteArrayList<>();
    ChannelDefinition l1 = plain("hostile", Hostile.class, true, plainListener("H#on", (t, inv) -> lockable.add(inv.newValue(Hostile.class))));
    ChannelDefinition l2 = plain("hostile.bc", Hostile.class, false, plainListener("HB#on", (t, inv) -> broadcast.add(inv.newValue(Hostile.class))));
    // a second record type on the broadcast channel is not needed: a separate notifier per channel
    Notifier n1 = Notifier.create("public", List.of(l1));
    Notifier n2 = Notifier.create("public", List.of(l2));
    try (Listener l = Fixtures.listener(db, l1, l2).build().start()) {
      inTransaction(db, c -> {
        n1.send(c, hostile);
        n2.send(c, hostile);
      });
      await(Duration.ofSeconds(30), "both delivered", () -> lockable.size() == 1 && broadcast.size() == 1);
    }
    assertThat(lockable.get(0)).isEqualTo(hostile);
    assertThat(broadcast.get(0)).isEqualTo(hostile);
    assertThat(count(db, "select count(*) from x")).as("table x survived").isZero();
  }

  @Test
  void hostileChannelNamesAreRejectedNamingTheChannel() {
    for (String bad : List.of("a\"; drop table x; --", "has space", "quote'd", "", "n".repeat(64), "ünïcode")) {
      ChannelDefinition ch = plain(bad, Note.class, true, plainListener("X#on", (t, inv) -> {}));
      assertThatThrownBy(() -> Fixtures.listener(db, ch).build())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid channel name '" + bad.substring(0, Math.min(bad.length(), 10)));
      assertThatThrownBy(() -> Notifier.create("public", List.of(ch)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("invalid channel name");
    }
    ChannelDefinition ok = plain("Ok.name-1_x", Note.class, true, plainListener("X#on", (t, inv) -> {}));
    assertThat(Fixtures.listener(db, ok).build().channels()).containsExactly("Ok.name-1_x");
  }

  @Test
  void mixedCaseAndDottedChannelNamesWorkBecauseLISTENQuotesThem() throws Exception {
    List<Note> got = new CopyOnWriteArrayList<>();
    ChannelDefinition ch = plain("Mixed.Case-Name", Note.class, true, plainListener("M#on", (t, inv) -> got.add(inv.newValue(Note.class))));
    Notifier notifier = Notifier.create("public", List.of(ch));
    try (Listener l = Fixtures.listener(db, ch).build().start()) {
      inTransaction(db, c -> notifier.send(c, new Note(1, "hi")));
      await(Duration.ofSeconds(20), "delivered by NOTIFY", () -> got.size() == 1);
    }
  }
}
