package io.pgpubsub.benchmarks;

import io.pgpubsub.StreamEvent;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.StreamReader;
import io.pgpubsub.StreamSubscriber;
import io.pgpubsub.Streams;
import io.pgpubsub.web.EventFeed;
import io.pgpubsub.web.PushEndpoint;
import io.pgpubsub.web.PushServlet;
import io.pgpubsub.web.WebChannel;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The web push benchmark: N concurrent SSE connections on loopback (its own NIO load client), one stream receiving
 * R committed changes per second; deliveries/s, commit-to-client latency and heap per idle connection. The baseline
 * in the same run is the same endpoint, servlet container and client, fed from memory (no database).
 *
 * <pre>
 * ./mvnw -B -q -Pbench -pl benchmarks -am verify -DskipTests -Dbench.mainClass=io.pgpubsub.benchmarks.WebBench \
 *     -Dbench.args="--connections=5000 --rate=20 --seconds=30"
 * </pre>
 *
 * PostgreSQL: {@code PGPUBSUB_JDBC_URL} (default {@code jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres}).
 */
public final class WebBench {

  static final String STREAM = "webbench";

  public static void main(String[] argv) throws Exception {
    int connections = intArg(argv, "--connections=", 5000);
    int rate = intArg(argv, "--rate=", 20);
    int seconds = intArg(argv, "--seconds=", 30);
    String url = System.getenv().getOrDefault("PGPUBSUB_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres");
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(url);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      Streams.create("public").install(c);
      s.execute("DROP TABLE IF EXISTS webbench_row");
      s.execute("CREATE TABLE webbench_row (id bigint primary key, secret text)");
      s.execute("DELETE FROM pgpubsub_stream_event WHERE stream = '" + STREAM + "'");
      Streams.create("public").capture(c, "webbench_row", STREAM);
    }
    System.out.printf("web push benchmark %s: %d connections, %d commits/s, %d s per phase, %d cores, load %.1f, %s%n",
        Instant.now(), connections, rate, seconds, Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), url.replaceAll("password=[^&]*", "password=***"));

    double bare = bareHeapPerConnection(connections);
    System.out.printf("bare async servlet (the container and the load client alone): heap per idle connection %.1f KB%n",
        bare / 1024);
    MemoryFeed memory = new MemoryFeed();
    Result baseline = phase("memory (baseline)", ds, connections, rate, seconds, memory, memory);
    Result database = phase("database", ds, connections, rate, seconds, null, null);
    System.out.printf("ratio deliveries/s database/baseline: %.2fx%n", database.deliveriesPerSecond / baseline.deliveriesPerSecond);
    System.out.printf("heap per idle connection of the endpoint itself (database phase minus the bare servlet): %.1f KB%n",
        (database.heapPerConnection - bare) / 1024);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS webbench_row");
      s.execute("DELETE FROM pgpubsub_stream_event WHERE stream = '" + STREAM + "'");
    }
    System.exit(0);
  }

  record Result(double deliveriesPerSecond, double heapPerConnection) {}

  /**
   * The same Tomcat and load client with a servlet that only starts an async SSE response and holds it: what an
   * idle connection costs before any endpoint, subtracted from the phases' figure to give the endpoint's own.
   */
  static double bareHeapPerConnection(int connections) throws Exception {
    java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
    java.util.List<jakarta.servlet.AsyncContext> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("webbench-bare").toString());
    tomcat.setPort(0);
    tomcat.getConnector().setProperty("maxConnections", String.valueOf(connections + 1000));
    tomcat.getConnector().setProperty("address", "127.0.0.1");
    Context ctx = tomcat.addContext("", null);
    Wrapper w = Tomcat.addServlet(ctx, "events", new jakarta.servlet.http.HttpServlet() {
      @Override
      protected void doGet(jakarta.servlet.http.HttpServletRequest req, jakarta.servlet.http.HttpServletResponse resp)
          throws java.io.IOException {
        resp.setContentType("text/event-stream");
        jakarta.servlet.AsyncContext async = req.startAsync();
        async.setTimeout(0);
        resp.getOutputStream().write(": open\n\n".getBytes(StandardCharsets.US_ASCII));
        resp.flushBuffer();
        held.add(async);
        open.incrementAndGet();
      }
    });
    w.setAsyncSupported(true);
    ctx.addServletMappingDecoded("/events", "events");
    tomcat.start();
    try {
      System.gc();
      Thread.sleep(500);
      System.gc();
      long before = usedHeap();
      LoadClient client = new LoadClient(tomcat.getConnector().getLocalPort(), connections);
      client.connectAll();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (open.get() < connections && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(2000);
      System.gc();
      Thread.sleep(500);
      System.gc();
      double perConnection = (usedHeap() - before) / (double) connections;
      client.close();
      for (jakarta.servlet.AsyncContext a : held) {
        a.complete();
      }
      return perConnection;
    } finally {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  static final ConcurrentHashMap<Long, Long> SENT = new ConcurrentHashMap<>(); // row id -> nanoTime before commit

  static Result phase(String name, PGSimpleDataSource ds, int connections, int rate, int seconds, EventFeed feed,
      MemoryFeed memory) throws Exception {
    SENT.clear();
    PushEndpoint.Builder b = PushEndpoint.builder(ds)
        .channel(WebChannel.rows(STREAM).project(WebChannel.columns("id")))
        .requireAuthentication(false)
        .maxConnections(connections + 100);
    if (feed != null) {
      b.feed(STREAM, feed);
    }
    PushEndpoint endpoint = b.build();
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("webbench").toString());
    tomcat.setPort(0);
    tomcat.getConnector().setProperty("maxConnections", String.valueOf(connections + 1000));
    tomcat.getConnector().setProperty("address", "127.0.0.1");
    Context ctx = tomcat.addContext("", null);
    Wrapper w = Tomcat.addServlet(ctx, "events", new PushServlet(endpoint));
    w.setAsyncSupported(true);
    ctx.addServletMappingDecoded("/events", "events");
    tomcat.start();
    int port = tomcat.getConnector().getLocalPort();

    System.gc();
    Thread.sleep(500);
    System.gc();
    long heapBefore = usedHeap();
    LoadClient client = new LoadClient(port, connections);
    client.connectAll();
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (endpoint.connectionCount() < connections && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(2000);
    System.gc();
    Thread.sleep(500);
    System.gc();
    long heapIdle = usedHeap();
    double perConnection = (heapIdle - heapBefore) / (double) connections;

    // writer: `rate` single-row transactions per second
    AtomicLong nextId = new AtomicLong();
    long start = System.nanoTime();
    long received0 = client.received.get();
    try (Connection c = ds.getConnection();
        PreparedStatement insert = c.prepareStatement("INSERT INTO webbench_row (id, secret) VALUES (?, 'x')")) {
      c.setAutoCommit(false);
      long period = 1_000_000_000L / rate;
      for (long i = 0; i < (long) rate * seconds; i++) {
        long due = start + i * period;
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        long id = nextId.incrementAndGet();
        if (memory != null) {
          SENT.put(id, System.nanoTime());
          memory.publish(id);
        } else {
          insert.setLong(1, id);
          insert.executeUpdate();
          SENT.put(id, System.nanoTime());
          c.commit();
        }
      }
    }
    long expected = (long) rate * seconds * connections;
    long drain = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (client.received.get() - received0 < expected && System.nanoTime() < drain) {
      Thread.sleep(20);
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long got = client.received.get() - received0;
    double perSecond = got / elapsed;
    long[] lat = client.latencies();
    System.out.printf("%-18s connected %d/%d, deliveries %d/%d in %.1f s = %.0f/s, commit-to-client p50 %.1f ms,"
            + " p95 %.1f ms, p99 %.1f ms, max %.1f ms, heap per idle connection %.1f KB (server and load client, one JVM),"
            + " slow disconnects %d%n",
        name, endpoint.connectionCount(), connections, got, expected, elapsed, perSecond, pct(lat, 50), pct(lat, 95),
        pct(lat, 99), lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6, perConnection / 1024, endpoint.slowClientsDisconnected());
    client.close();
    endpoint.close();
    tomcat.stop();
    tomcat.destroy();
    return new Result(perSecond, perConnection);
  }

  static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * p / 100.0) - 1)] / 1e6;
  }

  static long usedHeap() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static int intArg(String[] argv, String prefix, int fallback) {
    return Arrays.stream(argv).filter(a -> a.startsWith(prefix)).map(a -> Integer.parseInt(a.substring(prefix.length())))
        .findFirst().orElse(fallback);
  }

  /**
   * The baseline's feed: events made in memory and kept (as the reader's buffer keeps them), handed to subscribers on
   * two delivery threads, each subscription from its own position (a paused connection resumes there, as with the
   * reader); no database anywhere.
   */
  static final class MemoryFeed implements EventFeed {
    private final Set<Sub> subs = ConcurrentHashMap.newKeySet();
    private final List<StreamEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ExecutorService[] delivery = {Executors.newSingleThreadExecutor(), Executors.newSingleThreadExecutor()};
    private final AtomicLong slots = new AtomicLong();
    private volatile StreamPosition head = new StreamPosition(1, 0);

    final class Sub implements StreamReader.Subscription {
      final StreamSubscriber subscriber;
      final int slot;
      volatile long cursor;
      volatile boolean active = true;

      Sub(StreamSubscriber subscriber, long cursor) {
        this.subscriber = subscriber;
        this.cursor = cursor;
        this.slot = (int) (slots.incrementAndGet() % 2);
      }

      void deliver() {
        for (int i = (int) cursor; i < events.size() && active; i++) { // event k has id k+1
          StreamEvent e = events.get(i);
          try {
            subscriber.onEvent(e);
          } catch (Exception ex) {
            cancel();
            return;
          }
          cursor = e.position().id();
        }
      }

      @Override
      public StreamPosition position() {
        return new StreamPosition(1, cursor);
      }

      @Override
      public boolean isActive() {
        return active;
      }

      @Override
      public void cancel() {
        active = false;
        subs.remove(this);
      }
    }

    void publish(long id) {
      StreamPosition p = new StreamPosition(1, id);
      events.add(new StreamEvent(STREAM, p,
          "{\"op\":\"INSERT\",\"table\":\"webbench_row\",\"old\":null,\"new\":{\"id\":" + id + ",\"secret\":\"x\"},\"context\":{}}",
          Instant.now()));
      head = p;
      for (int t = 0; t < 2; t++) {
        int part = t;
        delivery[t].execute(() -> {
          for (Sub s : subs) {
            if (s.slot == part) {
              s.deliver();
            }
          }
        });
      }
    }

    @Override
    public StreamPosition head() {
      return head;
    }

    @Override
    public StreamReader.Subscription subscribe(StreamPosition after, StreamSubscriber subscriber) {
      Sub s = new Sub(subscriber, after.id());
      subs.add(s);
      delivery[s.slot].execute(s::deliver);
      return s;
    }

    @Override
    public void close() {
      for (ExecutorService e : delivery) {
        e.shutdownNow();
      }
    }
  }

  /** N SSE connections on one selector thread; finds {@code "id":"<n>"} in each data line and records latency. */
  static final class LoadClient implements AutoCloseable {
    private static final byte[] MARK = "data: {\"id\":\"".getBytes(StandardCharsets.US_ASCII);
    final AtomicLong received = new AtomicLong();
    private final int port;
    private final int n;
    private final Selector selector;
    private final Thread thread;
    private final AtomicLongArray histogram = new AtomicLongArray(100_000); // 0.1 ms buckets up to 10 s
    private volatile boolean stop;

    LoadClient(int port, int n) throws Exception {
      this.port = port;
      this.n = n;
      this.selector = Selector.open();
      this.thread = new Thread(this::loop, "webbench-client");
    }

    void connectAll() throws Exception {
      byte[] request = ("GET /events?channel=" + STREAM + " HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII);
      List<SocketChannel> channels = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        ch.write(ByteBuffer.wrap(request));
        ch.configureBlocking(false);
        channels.add(ch);
      }
      for (SocketChannel ch : channels) {
        ch.register(selector, SelectionKey.OP_READ, new long[2]); // how much of MARK matched, the id's digits
      }
      thread.start();
    }

    private void loop() {
      ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
      try {
        while (!stop) {
          selector.select(100);
          for (SelectionKey key : selector.selectedKeys()) {
            SocketChannel ch = (SocketChannel) key.channel();
            long[] state = (long[]) key.attachment();
            buf.clear();
            int r;
            try {
              r = ch.read(buf);
            } catch (Exception e) {
              r = -1;
            }
            if (r < 0) {
              key.cancel();
              ch.close();
              continue;
            }
            buf.flip();
            long now = System.nanoTime();
            while (buf.hasRemaining()) {
              byte b = buf.get();
              if (state[0] < MARK.length) {
                state[0] = b == MARK[(int) state[0]] ? state[0] + 1 : (b == MARK[0] ? 1 : 0);
                state[1] = 0;
              } else if (b >= '0' && b <= '9') {
                state[1] = state[1] * 10 + (b - '0');
              } else {
                Long sent = SENT.get(state[1]);
                if (sent != null) {
                  received.incrementAndGet();
                  histogram.incrementAndGet((int) Math.min(histogram.length() - 1, (now - sent) / 100_000));
                }
                state[0] = 0;
              }
            }
          }
          selector.selectedKeys().clear();
        }
      } catch (Exception e) {
        if (!stop) {
          e.printStackTrace();
        }
      }
    }

    /** Sorted latencies in ns (bucket resolution 0.1 ms). */
    long[] latencies() {
      long total = 0;
      for (int i = 0; i < histogram.length(); i++) {
        total += histogram.get(i);
      }
      long[] out = new long[(int) Math.min(total, 50_000_000)];
      int k = 0;
      for (int i = 0; i < histogram.length() && k < out.length; i++) {
        for (long c = histogram.get(i); c > 0 && k < out.length; c--) {
          out[k++] = (i + 1) * 100_000L;
        }
      }
      return out;
    }

    @Override
    public void close() throws Exception {
      stop = true;
      selector.wakeup();
      thread.join(5000);
      for (SelectionKey k : selector.keys()) {
        k.channel().close();
      }
      selector.close();
    }
  }
}
