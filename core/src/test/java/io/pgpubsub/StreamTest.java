package io.pgpubsub;

import static io.pgpubsub.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Streams (issue 25): positions that never skip under out-of-order commits, the reader and its subscriptions,
 * retention and the reset signal. Named consumers: {@link StreamConsumerTest}.
 */
@PostgresTest
@Timeout(240)
class StreamTest {

  public record Ev(int writer, int n) {}

  private final TestDatabase db;
  private final Streams streams = Streams.create("public");

  StreamTest(TestDatabase db) {
    this.db = db;
  }

  @BeforeEach
  void install() throws SQLException {
    try (Connection c = db.connect()) {
      streams.install(c);
      streams.install(c); // idempotent
    }
  }

  /**
   * T1 appends and stays open, T2 appends and commits, then T1 commits, while a reader polls the whole time: the
   * reader sees nothing past T1's event while T1 is open, then both, once each, in position order. Without the
   * xmin rule the reader reads T2's event first and moves past T1's position, which it then never finds.
   */
  @Test
  void outOfOrderCommitsAreNeitherSkippedNorRepeated() throws Exception {
    List<StreamEvent> seen = new CopyOnWriteArrayList<>();
    AtomicInteger polls = new AtomicInteger();
    AtomicInteger heldBackPolls = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    Thread reader =
        new Thread(
            () -> {
              StreamPosition p = StreamPosition.BEGINNING;
              try (Connection c = db.connect()) {
                while (!stop.get()) {
                  StreamPage page = streams.read(c, "ooo", p, 100);
                  seen.addAll(page.events());
                  p = page.next();
                  if (page.heldBack()) {
                    heldBackPolls.incrementAndGet();
                  }
                  polls.incrementAndGet();
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    reader.start();
    try (Connection t1 = db.connect();
        Connection t2 = db.connect()) {
      t1.setAutoCommit(false);
      t2.setAutoCommit(false);
      StreamPosition p1 = streams.append(t1, "ooo", new Ev(1, 10));
      StreamPosition p2 = streams.append(t2, "ooo", new Ev(2, 11));
      assertThat(p1).isLessThan(p2); // T1 wrote first: its event sorts first
      t2.commit();
      int after = polls.get();
      await(Duration.ofSeconds(30), "20 polls after T2 committed", () -> polls.get() >= after + 20);
      assertThat(seen).as("nothing is readable past T1's open event").isEmpty();
      assertThat(heldBackPolls.get()).as("polls saw T2's event held back").isPositive();
      long committed = System.nanoTime();
      t1.commit();
      await(Duration.ofSeconds(30), "both events", () -> seen.size() >= 2);
      long delayMicros = (System.nanoTime() - committed) / 1000;
      System.out.println("stream: T1 commit -> reader saw both events: " + delayMicros + " us (reader polls every ~2 ms)");
      int settled = polls.get();
      await(Duration.ofSeconds(30), "20 more polls", () -> polls.get() >= settled + 20);
    } finally {
      stop.set(true);
      reader.join(10_000);
    }
    assertThat(seen).extracting(e -> e.payloadAs(Ev.class)).containsExactly(new Ev(1, 10), new Ev(2, 11));
    assertThat(seen.get(0).position()).isLessThan(seen.get(1).position());
  }

  /** A transaction never reads its own uncommitted events (its own xid counts in its snapshot's xmin). */
  @Test
  void aTransactionNeverReadsItsOwnUncommittedEvents() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      streams.append(c, "own", new Ev(0, 1));
      StreamPage page = streams.read(c, "own", StreamPosition.BEGINNING, 10);
      assertThat(page.events()).isEmpty();
      assertThat(page.heldBack()).isTrue();
      c.rollback();
      assertThat(streams.read(c, "own", StreamPosition.BEGINNING, 10).events()).isEmpty();
      streams.append(c, "own", new Ev(0, 2));
      c.commit();
      assertThat(streams.read(c, "own", StreamPosition.BEGINNING, 10).events())
          .extracting(e -> e.payloadAs(Ev.class).n())
          .containsExactly(2);
    }
  }

  /**
   * 20 writers append in transactions of 1..5 events, wait a random while before committing (so commits come in
   * random order against their positions), and roll back one transaction in ten, for 30 s
   * ({@code -Dpgpubsub.streamTest.seconds}); a polling reader and a subscription read throughout. Each sees
   * exactly the committed events (count and set equality), none twice, in the same order.
   */
  @Test
  void manyWritersCommittingInRandomOrderLoseAndRepeatNothing() throws Exception {
    int seconds = Integer.getInteger("pgpubsub.streamTest.seconds", 30);
    Set<Ev> committed = ConcurrentHashMap.newKeySet();
    List<StreamEvent> polled = new CopyOnWriteArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicBoolean reading = new AtomicBoolean(true);
    List<StreamEvent> subscribed = new CopyOnWriteArrayList<>();
    try (StreamReader hub = StreamReader.builder(db.dataSource(), "load").bufferSize(200).start()) {
      hub.subscribe(StreamPosition.BEGINNING, subscribed::add);
      Thread reader =
          new Thread(
              () -> {
                StreamPosition p = StreamPosition.BEGINNING;
                try (Connection c = db.connect()) {
                  while (reading.get()) {
                    StreamPage page = streams.read(c, "load", p, 500);
                    polled.addAll(page.events());
                    p = page.next();
                    if (page.events().isEmpty()) {
                      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    }
                  }
                } catch (Throwable e) {
                  failure.set(e);
                }
              });
      reader.start();
      ExecutorService writers = Executors.newFixedThreadPool(20);
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < 20; w++) {
        int writer = w;
        futures.add(
            writers.submit(
                () -> {
                  int n = 0;
                  ThreadLocalRandom r = ThreadLocalRandom.current();
                  try (Connection c = db.connect()) {
                    c.setAutoCommit(false);
                    while (writing.get()) {
                      List<Ev> tx = new ArrayList<>();
                      for (int i = 1 + r.nextInt(5); i > 0; i--) {
                        Ev e = new Ev(writer, n++);
                        streams.append(c, "load", e);
                        tx.add(e);
                      }
                      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(r.nextInt(20_000)));
                      if (r.nextInt(10) == 0) {
                        c.rollback();
                      } else {
                        c.commit();
                        committed.addAll(tx);
                      }
                    }
                  }
                  return null;
                }));
      }
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(seconds));
      writing.set(false);
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
      writers.shutdown();
      await(Duration.ofSeconds(60), "the reader read every committed event", () -> polled.size() >= committed.size());
      await(Duration.ofSeconds(60), "the subscription got every committed event", () -> subscribed.size() >= committed.size());
      reading.set(false);
      reader.join(10_000);
      assertThat(failure.get()).isNull();
      System.out.println("stream: " + committed.size() + " events committed by 20 writers in " + seconds + " s; reader pages: "
          + hub.reads() + ", subscription catch-up pages: " + hub.catchUpReads());
    }
    List<Ev> polledEvents = polled.stream().map(e -> e.payloadAs(Ev.class)).toList();
    assertThat(polledEvents).doesNotHaveDuplicates().hasSize(committed.size());
    assertThat(new HashSet<>(polledEvents)).isEqualTo(committed);
    assertThat(subscribed).extracting(StreamEvent::position).isSortedAccordingTo(StreamPosition::compareTo);
    assertThat(subscribed).isEqualTo(polled);
    assertThat(committed.size()).as("the load wrote something").isGreaterThan(100);
  }

  /**
   * Subscriptions that start while 4 writers are busy (from the beginning, from a stored position in the middle,
   * from the reader's head) get exactly the stream after their position: no gap and no duplicate where catch-up
   * ends and the live buffer begins (a small buffer makes the seam move under them).
   */
  @Test
  void subscriptionsStartingMidLoadHaveNoGapAndNoDuplicateAtTheSeam() throws Exception {
    AtomicBoolean writing = new AtomicBoolean(true);
    ExecutorService writers = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new ArrayList<>();
    try (StreamReader hub = StreamReader.builder(db.dataSource(), "mid").bufferSize(50).pageSize(20).start()) {
      for (int w = 0; w < 4; w++) {
        int writer = w;
        futures.add(
            writers.submit(
                () -> {
                  int n = 0;
                  try (Connection c = db.connect()) {
                    c.setAutoCommit(false);
                    while (writing.get()) {
                      streams.append(c, "mid", new Ev(writer, n++));
                      streams.append(c, "mid", new Ev(writer, n++));
                      LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current().nextInt(3_000)));
                      c.commit();
                    }
                  }
                  return null;
                }));
      }
      await(Duration.ofSeconds(60), "300 events", () -> all().size() >= 300);
      StreamPosition middle = all().get(150).position();
      List<StreamEvent> fromBeginning = new CopyOnWriteArrayList<>();
      List<StreamEvent> fromMiddle = new CopyOnWriteArrayList<>();
      List<StreamEvent> fromHead = new CopyOnWriteArrayList<>();
      hub.subscribe(StreamPosition.BEGINNING, fromBeginning::add);
      hub.subscribe(middle, fromMiddle::add);
      StreamPosition head = hub.head();
      hub.subscribe(head, fromHead::add);
      int seen = all().size();
      await(Duration.ofSeconds(60), "500 more events", () -> all().size() >= seen + 500);
      writing.set(false);
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
      List<StreamEvent> all = all();
      await(Duration.ofSeconds(60), "every subscription is at the end", () -> fromBeginning.size() >= all.size()
          && !fromMiddle.isEmpty() && fromMiddle.get(fromMiddle.size() - 1).equals(all.get(all.size() - 1))
          && !fromHead.isEmpty() && fromHead.get(fromHead.size() - 1).equals(all.get(all.size() - 1)));
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // a duplicate delivered late would show now
      assertThat(fromBeginning).isEqualTo(all);
      assertThat(fromMiddle).isEqualTo(after(all, middle));
      assertThat(fromHead).isEqualTo(after(all, head));
      assertThat(hub.catchUpReads()).as("the subscription from the beginning caught up by reading").isPositive();
    } finally {
      writing.set(false);
      writers.shutdownNow();
    }
  }

  /**
   * The long-transaction bound: a transaction that holds an xid, in another table and never touching the stream,
   * holds back every event written after it took its xid, until it ends; then they all arrive, none skipped. The
   * figures printed are the delay after that transaction's end.
   */
  @Test
  void anUnrelatedOpenTransactionDelaysReadersAndNeverMakesThemSkip() throws Exception {
    db.execute("drop table if exists unrelated; create table unrelated(x int)");
    List<StreamEvent> got = new CopyOnWriteArrayList<>();
    List<Long> arrivals = new CopyOnWriteArrayList<>();
    try (StreamReader hub = StreamReader.builder(db.dataSource(), "held").start();
        Connection other = db.connect();
        Connection writer = db.connect()) {
      hub.subscribe(hub.head(), e -> {
        got.add(e);
        arrivals.add(System.nanoTime());
      });
      streams.append(writer, "held", new Ev(0, -1)); // before the long transaction: not held back
      await(Duration.ofSeconds(30), "the first event", () -> got.size() == 1);
      other.setAutoCommit(false);
      other.createStatement().execute("insert into unrelated values (1)"); // takes an xid
      for (int n = 0; n < 100; n++) {
        streams.append(writer, "held", new Ev(0, n));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1000));
      assertThat(got).as("held back while the older transaction is open").hasSize(1);
      long ended = System.nanoTime();
      other.commit();
      await(Duration.ofSeconds(30), "101 events", () -> got.size() >= 101);
      long lastMicros = (arrivals.get(100) - ended) / 1000;
      long firstMicros = (arrivals.get(1) - ended) / 1000;
      System.out.println("stream: an unrelated transaction held 100 events back for 1 s; after its commit the first arrived in "
          + firstMicros + " us, the last in " + lastMicros + " us");
      assertThat(got.stream().map(e -> e.payloadAs(Ev.class).n()).toList()).hasSize(101).doesNotHaveDuplicates();
    }
  }
  /** One reader feeds 1,000 subscriptions: each gets the 200 new events, in order, none read by a subscription itself. */
  @Test
  void oneReaderFeedsAThousandSubscribers() throws Exception {
    try (StreamReader hub = StreamReader.builder(db.dataSource(), "fan").start()) {
      List<List<StreamEvent>> received = new ArrayList<>();
      StreamPosition head = hub.head();
      for (int i = 0; i < 1000; i++) {
        List<StreamEvent> mine = new CopyOnWriteArrayList<>();
        received.add(mine);
        hub.subscribe(head, mine::add);
      }
      try (Connection c = db.connect()) {
        c.setAutoCommit(false);
        for (int n = 0; n < 200; n++) {
          streams.append(c, "fan", new Ev(0, n));
          if (n % 10 == 9) {
            c.commit();
          }
        }
      }
      await(Duration.ofSeconds(60), "1000 x 200 events", () -> received.stream().allMatch(l -> l.size() >= 200));
      List<StreamEvent> all = all("fan");
      assertThat(all).hasSize(200);
      for (List<StreamEvent> l : received) {
        assertThat(l).isEqualTo(all);
      }
      assertThat(hub.catchUpReads()).isZero();
      assertThat(hub.subscriptionCount()).isEqualTo(1000);
      System.out.println("stream: 1 reader, 1000 subscribers x 200 events; reader pages: " + hub.reads());
    }
  }

  /**
   * Retention by count and by age: a position below what was kept gets the reset signal (read, subscription,
   * named consumer), never a page that silently skips; the beginning and the watermark read on.
   */
  @Test
  void aPrunedPositionGivesTheResetSignal() throws Exception {
    List<StreamPosition> positions = new ArrayList<>();
    try (Connection c = db.connect()) {
      for (int n = 0; n < 10; n++) {
        positions.add(streams.append(c, "pruned", new Ev(0, n)));
      }
      assertThat(streams.prune(c, "pruned", Duration.ofHours(1), 0)).isZero();
      assertThat(streams.prune(c, "pruned", null, 5)).isEqualTo(5);
      StreamPosition third = positions.get(2);
      assertThatThrownBy(() -> streams.read(c, "pruned", third, 100))
          .isInstanceOfSatisfying(
              StreamPositionPrunedException.class, e -> assertThat(e.oldest()).isEqualTo(positions.get(4)));
      assertThat(streams.read(c, "pruned", StreamPosition.BEGINNING, 100).events())
          .extracting(e -> e.payloadAs(Ev.class).n())
          .containsExactly(5, 6, 7, 8, 9);
      assertThat(streams.read(c, "pruned", positions.get(4), 100).events()).hasSize(5);
      assertThat(streams.read(c, "pruned", positions.get(6), 100).events()).hasSize(3);

      AtomicReference<StreamPositionPrunedException> reset = new AtomicReference<>();
      List<StreamEvent> got = new CopyOnWriteArrayList<>();
      try (StreamReader hub = StreamReader.builder(db.dataSource(), "pruned").start()) {
        StreamReader.Subscription s =
            hub.subscribe(
                third,
                new StreamSubscriber() {
                  @Override
                  public void onEvent(StreamEvent event) {
                    got.add(event);
                  }

                  @Override
                  public void onReset(StreamPositionPrunedException e) {
                    reset.set(e);
                  }
                });
        await(Duration.ofSeconds(30), "the reset signal", () -> reset.get() != null);
        assertThat(got).isEmpty();
        assertThat(s.isActive()).isFalse();
        assertThat(reset.get().oldest()).isEqualTo(positions.get(4));
      }

      c.setAutoCommit(false);
      StreamConsumer.seek(streams, c, "pruned", "late", third);
      c.commit();
      c.setAutoCommit(true);
      assertThatThrownBy(() -> StreamConsumer.runBatch(streams, c, "pruned", "late", 10, (tx, events) -> {}))
          .isInstanceOf(StreamPositionPrunedException.class);

      // by age: everything final and older than zero seconds goes; the watermark moves to the last one
      assertThat(streams.prune(c, "pruned", Duration.ZERO, 0)).isEqualTo(5);
      assertThatThrownBy(() -> streams.read(c, "pruned", positions.get(6), 100))
          .isInstanceOf(StreamPositionPrunedException.class);
      assertThat(streams.read(c, "pruned", positions.get(9), 100).events()).isEmpty();
      assertThat(streams.tail(c, "pruned")).isEqualTo(positions.get(9));
    }
  }

  /** The reader runs retention when configured: the stream is cut to the newest events, the watermark moves. */
  @Test
  void theReaderRunsRetention() throws Exception {
    List<StreamPosition> positions = new ArrayList<>();
    try (Connection c = db.connect()) {
      for (int n = 0; n < 10; n++) {
        positions.add(streams.append(c, "retained", new Ev(0, n)));
      }
    }
    try (StreamReader hub = StreamReader.builder(db.dataSource(), "retained")
        .retention(Duration.ofDays(7), 3)
        .pruneInterval(Duration.ofMillis(50))
        .pollInterval(Duration.ofMillis(50))
        .start()) {
      await(Duration.ofSeconds(30), "3 events kept",
          () -> Fixtures.count(db, "select count(*) from pgpubsub_stream_event where stream = 'retained'") == 3);
    }
    try (Connection c = db.connect()) {
      assertThatThrownBy(() -> streams.read(c, "retained", positions.get(5), 10))
          .isInstanceOf(StreamPositionPrunedException.class);
      assertThat(streams.read(c, "retained", positions.get(6), 10).events()).hasSize(3);
    }
  }

  /** A position from another server (ahead of every xid this one handed out) is a reset, not an empty page. */
  @Test
  void aPositionFromTheFutureIsAReset() throws Exception {
    try (Connection c = db.connect()) {
      assertThatThrownBy(() -> streams.read(c, "future", new StreamPosition(1L << 40, 1), 10))
          .isInstanceOf(StreamPositionPrunedException.class)
          .hasMessageContaining("ahead of every transaction id");
    }
  }

  /** The capture trigger stores every insert, update and delete of a table, with old and new rows. */
  @Test
  void aCapturedTableAppendsItsChanges() throws Exception {
    db.execute("drop table if exists orders; create table orders(id int primary key, status text)");
    try (Connection c = db.connect()) {
      streams.capture(c, "public.orders", "orders");
      streams.capture(c, "public.orders", "orders"); // idempotent
    }
    db.execute("insert into orders values (1, 'PENDING'); update orders set status = 'PAID'; delete from orders");
    try (Connection c = db.connect()) {
      List<StreamEvent> events = streams.read(c, "orders", StreamPosition.BEGINNING, 10).events();
      assertThat(events).extracting(e -> e.payloadAs(java.util.Map.class).get("op"))
          .containsExactly("INSERT", "UPDATE", "DELETE");
      assertThat(events.get(1).payload()).contains("\"old\": {\"id\": 1, \"status\": \"PENDING\"}")
          .contains("\"new\": {\"id\": 1, \"status\": \"PAID\"}");
    }
  }

  /** A stream name of 63 bytes works end to end, and its wake-up reaches a reader that would poll only every 10 minutes. */
  @Test
  void aLongStreamNameIsWokenByItsNotify() throws Exception {
    String name = "s".repeat(63);
    List<StreamEvent> got = new CopyOnWriteArrayList<>();
    try (StreamReader hub = StreamReader.builder(db.dataSource(), name).pollInterval(Duration.ofMinutes(10)).start();
        Connection c = db.connect()) {
      hub.subscribe(hub.head(), got::add);
      streams.append(c, name, new Ev(0, 1));
      await(Duration.ofSeconds(30), "the event", () -> got.size() == 1);
    }
    assertThat(streams.notifyName(name).getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(63);
  }

  @Test
  void positionsRoundTripAsTokens() {
    StreamPosition p = new StreamPosition(7315, 42);
    assertThat(p.toString()).isEqualTo("7315-42");
    assertThat(StreamPosition.parse("7315-42")).isEqualTo(p);
    for (String bad : Arrays.asList("", "7315", "-42", "7315-", "a-b", "1--2")) {
      assertThatThrownBy(() -> StreamPosition.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  private List<StreamEvent> all() throws SQLException {
    return all("mid");
  }

  private List<StreamEvent> all(String stream) throws SQLException {
    List<StreamEvent> all = new ArrayList<>();
    try (Connection c = db.connect()) {
      StreamPosition p = StreamPosition.BEGINNING;
      while (true) {
        StreamPage page = streams.read(c, stream, p, 1000);
        if (page.events().isEmpty()) {
          return all;
        }
        all.addAll(page.events());
        p = page.next();
      }
    }
  }

  private static List<StreamEvent> after(List<StreamEvent> all, StreamPosition p) {
    return all.stream().filter(e -> e.position().compareTo(p) > 0).toList();
  }
}
