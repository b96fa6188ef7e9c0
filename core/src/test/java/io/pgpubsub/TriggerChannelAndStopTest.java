package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static io.pgpubsub.Fixtures.count;
import static io.pgpubsub.Fixtures.inTransaction;
import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.DecodeException;
import io.pgpubsub.spi.ListenerDefinition;
import io.pgpubsub.spi.ListenerKind;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@SuppressWarnings("try") // listeners opened in try-with-resources only to be closed
@PostgresTest
@Timeout(60)
class TriggerChannelAndStopTest {

  /** Stand-in for an entity; the default (Jackson) row decoder maps snake_case columns to it. */
  public record Media(long id, String title, String status, int viewCount) {}

  public record Work(int n) {}

  /** What the processor generates for a lockable @TriggerChannel on table media, per the payload contract. */
  static final String TRIGGER =
      """
      CREATE OR REPLACE FUNCTION pgpubsub_media_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO public.pgpubsub_notification(channel, payload) VALUES ('media', jsonb_build_object(
          'op', TG_OP, 'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
          'old', CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
          'new', CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END,
          'context', coalesce(nullif(current_setting('pgpubsub.notification_context', true), '')::jsonb, '{}'::jsonb),
          'v', 'media-v1'));
        PERFORM pg_notify('media', '');
        RETURN NULL;
      END $$;
      DROP TRIGGER IF EXISTS pgpubsub_media ON media;
      CREATE TRIGGER pgpubsub_media AFTER INSERT OR UPDATE OR DELETE ON media
        FOR EACH ROW EXECUTE FUNCTION pgpubsub_media_notify();
      """;

  private final TestDatabase db;

  TriggerChannelAndStopTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeAll
  static void schema(TestDatabase db) throws Exception {
    Fixtures.install(db);
    db.execute("create table media(id bigint primary key, title text, status text, view_count int not null default 0)");
    db.execute(TRIGGER);
    db.execute("create table effects(n int primary key)");
  }

  private static ChannelDefinition media(ListenerDefinition... listeners) {
    return new ChannelDefinition(
        "media", Media.class, true, true, true, null, "media",
        Set.of(Operation.INSERT, Operation.UPDATE, Operation.DELETE), "media-v1",
        "META-INF/pgpubsub/media.sql", List.of(listeners));
  }

  @Test
  void triggerChannelCallbacksFireOnlyForTheirOperationsWithOldAndNewRows() throws Exception {
    List<String> events = new CopyOnWriteArrayList<>();
    ChannelDefinition ch =
        media(
            new ListenerDefinition("M#onSave(Media,Media)", ListenerKind.POST_SAVE, Fixtures.class, true,
                (t, inv) -> events.add("save " + inv.delivery().operation() + " " + inv.oldValue(Media.class)
                    + " -> " + inv.newValue(Media.class) + " " + inv.delivery().context())),
            new ListenerDefinition("M#onDelete(Media)", ListenerKind.POST_DELETE, Fixtures.class, true,
                (t, inv) -> events.add("delete " + inv.oldValue(Media.class) + " " + inv.newValue(Media.class))),
            new ListenerDefinition("M#onUpdate(Media)", ListenerKind.POST_UPDATE, Fixtures.class, true,
                (t, inv) -> events.add("update " + inv.newValue(Media.class).title())));
    try (Listener l = Fixtures.listener(db, ch).workers(1).build().start()) {
      inTransaction(db, c -> {
        NotificationContext.set(c, Map.of("user", "ann"));
        c.createStatement().execute("insert into media values (1, 'a', 'new', 3)");
      });
      inTransaction(db, c -> c.createStatement().execute("update media set title = 'b' where id = 1"));
      inTransaction(db, c -> c.createStatement().execute("delete from media where id = 1"));
      await(Duration.ofSeconds(20), "4 events", () -> events.size() == 4);
    }
    assertThat(events)
        .containsExactly(
            "save INSERT null -> Media[id=1, title=a, status=new, viewCount=3] {user=ann}",
            "save UPDATE Media[id=1, title=a, status=new, viewCount=3] -> Media[id=1, title=b, status=new, viewCount=3] {}",
            "update b",
            "delete Media[id=1, title=b, status=new, viewCount=3] null");
  }

  @Test
  void aRowDecoderThatRejectsARowDeadLettersItAtOnce() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ChannelDefinition ch =
        media(new ListenerDefinition("M#onSave(Media)", ListenerKind.POST_SAVE, Fixtures.class, true,
            (t, inv) -> {
              inv.newValue(Media.class);
              calls.incrementAndGet();
            }));
    try (Listener l =
        Fixtures.listener(db, ch)
            .rowDecoder((channel, row) -> {
              if (row.get("title").asText().equals("bad")) {
                throw new DecodeException("channel '" + channel.name() + "': column 'title' holds 'bad'");
              }
              return new Media(row.get("id").asLong(), row.get("title").asText(), null, 0);
            })
            .build()
            .start()) {
      inTransaction(db, c -> c.createStatement().execute("insert into media values (10, 'bad', 'x', 0), (11, 'good', 'x', 0)"));
      await(Duration.ofSeconds(20), "one dead", () -> l.deadLetters().count("media") == 1);
      await(Duration.ofSeconds(5), "one processed", () -> calls.get() == 1);
      DeadLetter d = l.deadLetters().list("media", 1).get(0);
      assertThat(d.attempts()).isEqualTo(1);
      assertThat(d.lastError()).contains("DecodeException: channel 'media': column 'title' holds 'bad'");
      l.deadLetters().purgeAll("media");
    }
    db.execute("delete from media");
    db.execute("delete from pgpubsub_notification where channel = 'media'");
  }

  @Test
  void closeLetsInFlightCallbacksFinishAndClaimsNothingMore() throws Exception {
    db.execute("truncate effects");
    CountDownLatch inFlight = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    ChannelDefinition ch = work("slow", inFlight, proceed);
    Notifier notifier = Notifier.create("public", List.of(ch));
    inTransaction(db, c -> {
      for (int i = 1; i <= 20; i++) {
        notifier.send(c, new Work(i));
      }
    });
    Listener l = Fixtures.listener(db, ch).workers(1).batchSize(5).build().start();
    assertThat(inFlight.await(20, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<Void> closing = CompletableFuture.runAsync(l::close);
    await(Duration.ofSeconds(5), "stopping", () -> !l.isRunning());
    assertThat(closing).as("close waits for the callback in flight").isNotDone();
    proceed.countDown();
    closing.get(20, TimeUnit.SECONDS);
    l.close(); // idempotent
    assertThat(count(db, "select count(*) from effects")).as("the batch in flight completed").isEqualTo(5);
    assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'slow'")).isEqualTo(15);

    // the rest is processed by the next listener, nothing twice (effects has a primary key)
    try (Listener next = Fixtures.listener(db, work("slow", new CountDownLatch(1), new CountDownLatch(0))).build().start()) {
      await(Duration.ofSeconds(20), "all 20", () -> count(db, "select count(*) from effects") == 20);
    }
    assertThat(count(db, "select count(*) from pgpubsub_notification where channel = 'slow'")).isZero();
  }

  @Test
  void afterTheGracePeriodInFlightBatchesAreRolledBackAndStayStored() throws Exception {
    db.execute("truncate effects");
    CountDownLatch inFlight = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    ChannelDefinition ch = work("stuck", inFlight, never);
    Notifier notifier = Notifier.create("public", List.of(ch));
    inTransaction(db, c -> {
      for (int i = 1; i <= 10; i++) {
        notifier.send(c, new Work(i));
      }
    });
    Listener l = Fixtures.listener(db, ch).workers(1).gracePeriod(Duration.ofMillis(300)).build().start();
    assertThat(inFlight.await(20, TimeUnit.SECONDS)).isTrue();
    long t0 = System.nanoTime();
    l.close();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    await(Duration.ofSeconds(10), "batch rolled back", () -> count(db, "select count(*) from pgpubsub_notification where channel = 'stuck'") == 10);
    assertThat(count(db, "select count(*) from effects")).isZero();
    db.execute("delete from pgpubsub_notification where channel = 'stuck'");
  }

  @Test
  void closeFromInsideACallbackDoesNotWaitForItself() throws Exception {
    db.execute("truncate effects");
    Listener[] self = new Listener[1];
    CountDownLatch closed = new CountDownLatch(1);
    ChannelDefinition ch = plain("closer", Work.class, true, plainListener("C#on", (t, inv) -> {
      try (PreparedStatement ps = inv.resource(Connection.class).prepareStatement("insert into effects values (?)")) {
        ps.setInt(1, inv.newValue(Work.class).n());
        ps.executeUpdate();
      }
      self[0].close();
      closed.countDown();
    }));
    Notifier notifier = Notifier.create("public", List.of(ch));
    self[0] = Fixtures.listener(db, ch).workers(1).gracePeriod(Duration.ofSeconds(30)).build();
    inTransaction(db, c -> notifier.send(c, new Work(1)));
    self[0].start();
    assertThat(closed.await(10, TimeUnit.SECONDS)).as("close() returned inside the callback").isTrue();
    await(Duration.ofSeconds(10), "its batch still committed", () -> count(db, "select count(*) from effects") == 1);
    assertThat(self[0].isRunning()).isFalse();
  }

  /** Records an effect, then (for n == 1) signals and waits for the test. */
  private static ChannelDefinition work(String name, CountDownLatch inFlight, CountDownLatch proceed) {
    return plain(name, Work.class, true, plainListener("W#on(Work,Connection)", (t, inv) -> {
      int n = inv.newValue(Work.class).n();
      try (PreparedStatement ps = inv.resource(Connection.class).prepareStatement("insert into effects values (?)")) {
        ps.setInt(1, n);
        ps.executeUpdate();
      }
      if (n == 1) {
        inFlight.countDown();
        if (!proceed.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("test never said proceed");
        }
      }
    }));
  }
}
