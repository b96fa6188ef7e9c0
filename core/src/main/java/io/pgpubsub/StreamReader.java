package io.pgpubsub;

import io.pgpubsub.internal.Backoff;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one database reader of a stream in this process: one connection LISTENs to the stream's wake-ups (and
 * polls), reads each new event once, keeps the newest ones in memory and hands them to any number of {@link
 * #subscribe subscriptions}. A subscription that starts behind that buffer (or falls behind it) catches up with
 * reads of its own, then joins the buffer: no gap and no duplicate at the seam, because both follow the same
 * total order of positions and a subscription only ever delivers events after its own last position.
 *
 * <pre>{@code
 * try (StreamReader reader = StreamReader.builder(dataSource, "orders").start()) {
 *   reader.subscribe(StreamPosition.parse(lastEventId), event -> send(event));
 * }
 * }</pre>
 */
public final class StreamReader implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(StreamReader.class);

  private final DataSource dataSource;
  private final Streams streams;
  private final String stream;
  private final Duration pollInterval;
  private final Duration heldBackPoll;
  private final int pageSize;
  private final int bufferSize;
  private final Duration maxAge;
  private final long maxCount;
  private final Duration pruneInterval;
  private final ExecutorService delivery;
  private final Thread thread;
  private final Set<Sub> subscriptions = ConcurrentHashMap.newKeySet();
  private final AtomicLong reads = new AtomicLong();
  private final AtomicLong catchUpReads = new AtomicLong();

  // guarded by this: events after base, up to head, contiguous in position order
  private final List<StreamEvent> buffer = new ArrayList<>();
  private StreamPosition base;
  private StreamPosition head;
  private volatile boolean closed;
  private volatile Connection connection;
  private final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);

  private StreamReader(Builder b) {
    this.dataSource = b.dataSource;
    this.streams = Streams.create(b.schema);
    this.stream = b.stream;
    this.pollInterval = b.pollInterval;
    this.heldBackPoll = b.heldBackPoll;
    this.pageSize = b.pageSize;
    this.bufferSize = b.bufferSize;
    this.maxAge = b.maxAge;
    this.maxCount = b.maxCount;
    this.pruneInterval = b.pruneInterval;
    AtomicInteger n = new AtomicInteger();
    this.delivery =
        Executors.newFixedThreadPool(
            b.deliveryThreads,
            r -> {
              Thread t = new Thread(r, "pgpubsub-stream-" + stream + "-delivery-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.thread = new Thread(this::run, "pgpubsub-stream-" + stream);
    this.thread.setDaemon(true);
  }

  public static Builder builder(DataSource dataSource, String stream) {
    return new Builder(dataSource, stream);
  }

  /**
   * Subscribes from {@code after}: the subscriber receives every event after it, in position order, each once,
   * first the stored ones (catch-up), then new ones as they become readable. {@link StreamPosition#BEGINNING}
   * starts at the oldest event retention kept; {@link #head()} (or {@link Streams#tail}) at new events only.
   */
  public Subscription subscribe(StreamPosition after, StreamSubscriber subscriber) {
    Objects.requireNonNull(after, "after");
    Objects.requireNonNull(subscriber, "subscriber");
    if (closed) {
      throw new IllegalStateException("stream reader of '" + stream + "' is closed");
    }
    Sub s = new Sub(after, subscriber);
    subscriptions.add(s);
    synchronized (this) {
      s.schedule();
    }
    return s;
  }

  /** The position up to which this reader has read the stream (where a subscription for new events only starts). */
  public synchronized StreamPosition head() {
    return head;
  }

  /** How many pages this reader's own connection has read (tests and status). */
  public long reads() {
    return reads.get();
  }

  /** How many pages subscriptions read on their own while catching up. */
  public long catchUpReads() {
    return catchUpReads.get();
  }

  public int subscriptionCount() {
    return subscriptions.size();
  }

  private StreamReader begin() {
    thread.start();
    try {
      if (!started.await(30, TimeUnit.SECONDS)) {
        log.warn("stream reader of '{}': no database connection after 30 s, still trying", stream);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return this;
  }

  private void run() {
    int failures = 0;
    long lastPrune = 0;
    while (!closed) {
      try {
        if (connection == null) {
          Connection c = dataSource.getConnection();
          c.setAutoCommit(true);
          try (Statement s = c.createStatement()) {
            s.execute("LISTEN \"" + streams.notifyName(stream) + "\"");
          }
          connection = c;
          synchronized (this) {
            if (head == null) {
              head = streams.tail(c, stream);
              base = head;
            }
          }
          started.countDown();
        }
        Connection c = connection;
        StreamPage page;
        do {
          StreamPosition from;
          synchronized (this) {
            from = head;
          }
          try {
            page = streams.read(c, stream, from, pageSize);
          } catch (StreamPositionPrunedException pruned) {
            // this reader fell behind retention: start again after the watermark; subscriptions behind it get the
            // reset signal from their own catch-up read
            log.warn("stream reader of '{}': {}", stream, pruned.getMessage());
            synchronized (this) {
              buffer.clear();
              head = pruned.oldest();
              base = head;
            }
            page = new StreamPage(List.of(), pruned.oldest(), true); // look again soon
            break;
          }
          reads.incrementAndGet();
          if (!page.events().isEmpty()) {
            publish(page.events());
          }
        } while (page.events().size() == pageSize && !closed);
        failures = 0;
        if ((maxAge != null || maxCount > 0) && System.nanoTime() - lastPrune > pruneInterval.toNanos()) {
          lastPrune = System.nanoTime();
          long pruned = streams.prune(c, stream, maxAge, maxCount);
          if (pruned > 0) {
            log.debug("stream reader of '{}': retention deleted {} events", stream, pruned);
          }
        }
        long waitMs = Math.max(1, (page.heldBack() ? heldBackPoll : pollInterval).toMillis());
        c.unwrap(PGConnection.class).getNotifications((int) Math.min(Integer.MAX_VALUE, waitMs));
      } catch (Throwable t) {
        if (closed) {
          break;
        }
        failures++;
        long delay = Backoff.delayMillis(50, 5_000, failures - 1);
        log.warn("stream reader of '{}' failed, reconnecting in {} ms: {}", stream, delay, t.toString());
        closeConnection();
        try {
          Thread.sleep(delay);
        } catch (InterruptedException e) {
          if (closed) {
            break;
          }
        }
      }
    }
    closeConnection();
  }

  private void publish(List<StreamEvent> events) {
    synchronized (this) {
      buffer.addAll(events);
      head = events.get(events.size() - 1).position();
      if (buffer.size() > 2 * bufferSize) {
        int drop = buffer.size() - bufferSize;
        base = buffer.get(drop - 1).position();
        buffer.subList(0, drop).clear();
      }
      for (Sub s : subscriptions) {
        s.schedule();
      }
    }
  }

  /** The buffered events after {@code after} (at most {@code max}), or null when {@code after} is below the buffer. */
  private synchronized List<StreamEvent> buffered(StreamPosition after, int max) {
    if (base == null || after.compareTo(base) < 0) {
      return null;
    }
    int lo = 0;
    int hi = buffer.size();
    while (lo < hi) { // first event after `after`
      int mid = (lo + hi) >>> 1;
      if (buffer.get(mid).position().compareTo(after) <= 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo == buffer.size() ? List.of() : new ArrayList<>(buffer.subList(lo, Math.min(buffer.size(), lo + max)));
  }

  private void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException | RuntimeException e) {
        log.debug("closing the stream reader's connection", e);
      }
    }
  }

  /** Stops reading and ends every subscription. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Sub s : subscriptions) {
      s.cancel();
    }
    closeConnection(); // unblocks getNotifications
    thread.interrupt();
    try {
      thread.join(5_000);
      delivery.shutdown();
      if (!delivery.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("stream reader of '{}': subscribers still running after 5 s", stream);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A subscription; {@link #cancel()} ends it. */
  public interface Subscription extends AutoCloseable {

    /** The position of the last event delivered (or the one subscribed from). */
    StreamPosition position();

    boolean isActive();

    void cancel();

    @Override
    default void close() {
      cancel();
    }
  }

  private final class Sub implements Subscription, Runnable {
    private final StreamSubscriber subscriber;
    private volatile StreamPosition cursor;
    private volatile boolean active = true;
    private boolean scheduled; // guarded by StreamReader.this

    Sub(StreamPosition after, StreamSubscriber subscriber) {
      this.cursor = after;
      this.subscriber = subscriber;
    }

    /** Called with the reader's lock held. */
    void schedule() {
      if (!scheduled && active) {
        scheduled = true;
        try {
          delivery.execute(this);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          scheduled = false; // closing
        }
      }
    }

    @Override
    public void run() {
      try {
        while (active) {
          List<StreamEvent> batch;
          synchronized (StreamReader.this) {
            batch = buffered(cursor, pageSize);
            if (batch != null && batch.isEmpty()) {
              scheduled = false; // the next publish schedules it again
              return;
            }
          }
          if (batch == null) {
            batch = catchUp();
            if (batch == null) {
              return;
            }
          }
          for (StreamEvent e : batch) {
            if (!active) {
              return;
            }
            subscriber.onEvent(e);
            cursor = e.position();
          }
        }
      } catch (Throwable t) {
        log.warn("stream '{}': a subscriber failed at position {}, its subscription ends", stream, cursor, t);
        cancel();
      }
    }

    /** One page read on a connection of its own; null when the subscription ended (reset). */
    private List<StreamEvent> catchUp() {
      try (Connection c = dataSource.getConnection()) {
        c.setAutoCommit(true);
        catchUpReads.incrementAndGet();
        List<StreamEvent> events = streams.read(c, stream, cursor, pageSize).events();
        if (events.isEmpty()) {
          // below the buffer's start yet nothing readable: cannot last (the buffer's start was readable), but
          // never spin on it
          Thread.sleep(10);
        }
        return events;
      } catch (StreamPositionPrunedException reset) {
        cancel();
        try {
          subscriber.onReset(reset);
        } catch (RuntimeException e) {
          log.warn("stream '{}': onReset failed", stream, e);
        }
        return null;
      } catch (SQLException e) {
        // the database is away: try again (a subscription ends only by reset, cancel or its subscriber's failure)
        log.warn("stream '{}': a subscription's catch-up read at {} failed, again in 200 ms: {}", stream, cursor, e.toString());
        try {
          Thread.sleep(200);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          cancel();
          return null;
        }
        return List.of();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cancel();
        return null;
      }
    }

    @Override
    public StreamPosition position() {
      return cursor;
    }

    @Override
    public boolean isActive() {
      return active;
    }

    @Override
    public void cancel() {
      active = false;
      subscriptions.remove(this);
    }
  }

  /** Options of a {@link StreamReader}; validated by {@link #start()}. */
  public static final class Builder {
    private final DataSource dataSource;
    private final String stream;
    private String schema = NotificationTable.DEFAULT_SCHEMA;
    private Duration pollInterval = Duration.ofSeconds(1);
    private Duration heldBackPoll = Duration.ofMillis(10);
    private int pageSize = 1000;
    private int bufferSize = 10_000;
    private int deliveryThreads = 2;
    private Duration maxAge;
    private long maxCount;
    private Duration pruneInterval = Duration.ofMinutes(1);

    private Builder(DataSource dataSource, String stream) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
      this.stream = io.pgpubsub.internal.ChannelNames.validate(stream);
    }

    /** The schema of the stream tables. Default {@code public}. */
    public Builder schema(String schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /** How often the reader looks without a wake-up (a missed NOTIFY, a writer that sent none). Default 1 s. */
    public Builder pollInterval(Duration pollInterval) {
      this.pollInterval = positive(pollInterval, "pollInterval");
      return this;
    }

    /**
     * How soon the reader looks again when events are held back by an open transaction (its commit may send no
     * wake-up: it may be another application's transaction). Default 10 ms.
     */
    public Builder heldBackPoll(Duration heldBackPoll) {
      this.heldBackPoll = positive(heldBackPoll, "heldBackPoll");
      return this;
    }

    /** Events per read. Default 1000. */
    public Builder pageSize(int pageSize) {
      this.pageSize = atLeastOne(pageSize, "pageSize");
      return this;
    }

    /** Newest events kept in memory for subscriptions (kept between this and twice this). Default 10,000. */
    public Builder bufferSize(int bufferSize) {
      this.bufferSize = atLeastOne(bufferSize, "bufferSize");
      return this;
    }

    /** Threads that run subscribers' callbacks (and their catch-up reads). Default 2. */
    public Builder deliveryThreads(int deliveryThreads) {
      this.deliveryThreads = atLeastOne(deliveryThreads, "deliveryThreads");
      return this;
    }

    /**
     * Retention, run by this reader every {@code pruneInterval} (default 1 min): events older than {@code maxAge}
     * (null: none) and all but the newest {@code maxCount} (0: none) are deleted, see {@link Streams#prune}.
     * Default: keep everything.
     */
    public Builder retention(Duration maxAge, long maxCount) {
      if (maxCount < 0) {
        throw new IllegalArgumentException("maxCount must not be negative, was " + maxCount);
      }
      if (maxAge != null && maxAge.isNegative()) {
        throw new IllegalArgumentException("maxAge must not be negative, was " + maxAge);
      }
      this.maxAge = maxAge;
      this.maxCount = maxCount;
      return this;
    }

    /**
     * The retention a stream channel declares ({@code @TriggerChannel(stream = true, retain = "P7D", retainCount =
     * ...)}): {@link #retention(Duration, long)} with its values (keep everything when it declares none).
     *
     * @throws IllegalArgumentException when {@code channel} is not a stream channel, or not this reader's stream
     */
    public Builder retention(io.pgpubsub.spi.ChannelDefinition channel) {
      io.pgpubsub.spi.ChannelDefinition.StreamOptions options = Streams.streamOptions(channel);
      if (!channel.name().equals(stream)) {
        throw new IllegalArgumentException(
            "channel '" + channel.name() + "' is not the stream of this reader ('" + stream + "')");
      }
      return retention(options.retain(), options.retainCount());
    }

    public Builder pruneInterval(Duration pruneInterval) {
      this.pruneInterval = positive(pruneInterval, "pruneInterval");
      return this;
    }

    /** Connects, LISTENs, starts reading at the stream's tail, and returns once connected (or after 30 s). */
    public StreamReader start() {
      return new StreamReader(this).begin();
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, was " + d);
      }
      return d;
    }

    private static int atLeastOne(int n, String what) {
      if (n < 1) {
        throw new IllegalArgumentException(what + " must be at least 1, was " + n);
      }
      return n;
    }
  }

  @Override
  public String toString() {
    return "StreamReader[" + stream + "]";
  }
}
