package io.pgpubsub.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.NotificationTable;
import io.pgpubsub.StreamPosition;
import io.pgpubsub.StreamReader;
import io.pgpubsub.internal.Json;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes the changes of registered {@link WebChannel}s to browsers over Server-Sent Events, on the Jakarta Servlet 6
 * async API (any servlet container; mount it with {@link PushServlet}).
 *
 * <pre>{@code
 * PushEndpoint push = PushEndpoint.builder(dataSource)
 *     .channel(WebChannel.rows("orders").project(WebChannel.columns("id", "status")))
 *     .build();
 * // GET /events?channel=orders&id=42        (id repeatable; Last-Event-ID or ?since= resumes)
 * }</pre>
 *
 * <p>Each event is {@code id: <stream position>}, {@code event: <channel>.<operation>} (insert, update, delete;
 * append for {@code Streams.append} events) and {@code data: {"id":..,"new":<projection>,"old":<projection>}}
 * ({@code old} only when the channel asks for it). One database reader per stream and node reads each change
 * once; every subscriber's visibility hook then runs in the JVM.
 */
public final class PushEndpoint implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PushEndpoint.class);
  private static final byte[] HEARTBEAT = ":\n\n".getBytes(StandardCharsets.US_ASCII);

  /** Default {@link Builder#maxConnections}. */
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  /** Default {@link Builder#bufferEvents}. */
  public static final int DEFAULT_BUFFER_EVENTS = 256;
  /** Default {@link Builder#heartbeat}. */
  public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(15);
  /** Default {@link Builder#retryAfter}. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(5);
  /** Default {@link Builder#stallTimeout}. */
  public static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(30);
  /** Default {@link Builder#reconnectDelay}. */
  public static final Duration DEFAULT_RECONNECT_DELAY = Duration.ofSeconds(2);

  private final Map<String, ChannelRuntime<?>> channels;
  private final Map<String, EventFeed> feeds;
  private final PrincipalResolver principals;
  private final boolean requireAuthentication;
  private final ConnectAuthorizer authorizer;
  private final EventVisibility<Object> visibility;
  private final int maxConnections;
  private final int bufferEvents;
  private final Duration retryAfter;
  private final long stallNanos;
  private final long heartbeatNanos;
  private long lastBeat = System.nanoTime(); // the heartbeat thread's
  private final byte[] preamble;
  private final ScheduledExecutorService heartbeat;
  private final Set<SseConnection<?>> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong slowDropped = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private volatile boolean closed;

  private PushEndpoint(Builder b) {
    this.principals = b.principals;
    this.requireAuthentication = b.requireAuthentication;
    this.authorizer = b.authorizer;
    this.visibility = b.visibility;
    this.maxConnections = b.maxConnections;
    this.bufferEvents = b.bufferEvents;
    this.retryAfter = b.retryAfter;
    this.stallNanos = b.stallTimeout.toNanos();
    this.heartbeatNanos = b.heartbeat.toNanos();
    this.preamble = ("retry: " + b.reconnectDelay.toMillis() + "\n: connected\n\n").getBytes(StandardCharsets.US_ASCII);
    Map<String, ChannelRuntime<?>> cs = new LinkedHashMap<>();
    for (WebChannel<?> c : b.channels) {
      cs.put(c.name(), new ChannelRuntime<>(c, b.mapper));
    }
    this.channels = Map.copyOf(cs);
    Map<String, EventFeed> fs = new LinkedHashMap<>(b.feeds);
    try {
      for (ChannelRuntime<?> c : channels.values()) {
        fs.computeIfAbsent(
            c.channel.stream(),
            stream ->
                EventFeed.of(
                    StreamReader.builder(b.dataSource, stream)
                        .schema(b.schema)
                        .deliveryThreads(b.deliveryThreads)
                        .start()));
      }
    } catch (RuntimeException e) {
      fs.values().forEach(EventFeed::close);
      throw e;
    }
    this.feeds = Map.copyOf(fs);
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "pgpubsub-web-heartbeat");
              t.setDaemon(true);
              return t;
            });
    long every = Math.min(b.heartbeat.toMillis(), Math.max(10, b.stallTimeout.toMillis() / 4));
    heartbeat.scheduleAtFixedRate(this::beat, every, every, TimeUnit.MILLISECONDS);
  }

  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /**
   * Serves one {@code GET ?channel=<name>[&id=<id>...][&since=<position>]} request: answers 400/401/403/404/503 at
   * once, or starts the event stream (the request goes async; the response stays open).
   */
  public void handle(HttpServletRequest request, HttpServletResponse response) throws IOException {
    response.setHeader("Cache-Control", "no-store");
    if (closed) {
      unavailable(response, "the event stream endpoint is shutting down");
      return;
    }
    Principal principal = principals.principal(request);
    if (principal == null && requireAuthentication) {
      error(response, HttpServletResponse.SC_UNAUTHORIZED, "the event stream needs an authenticated user");
      return;
    }
    String[] channelParams = request.getParameterValues("channel");
    if (channelParams == null || channelParams.length != 1 || channelParams[0].isBlank()) {
      error(response, HttpServletResponse.SC_BAD_REQUEST, "name exactly one channel: ?channel=<name>");
      return;
    }
    String name = channelParams[0];
    ChannelRuntime<?> channel = channels.get(name);
    if (channel == null) {
      error(response, HttpServletResponse.SC_NOT_FOUND,
          "channel '" + name + "' is not exposed: no projection is registered for it");
      return;
    }
    if (!authorizer.allowed(principal, name, request)) {
      error(response, HttpServletResponse.SC_FORBIDDEN, "not allowed to subscribe to channel '" + name + "'");
      return;
    }
    EventFeed feed = feeds.get(channel.channel.stream());
    StreamPosition from;
    boolean badLastEventId = false;
    String lastEventId = request.getHeader("Last-Event-ID");
    String since = request.getParameter("since");
    if (lastEventId != null && !lastEventId.isBlank()) {
      StreamPosition parsed = parseOrNull(lastEventId.trim());
      badLastEventId = parsed == null;
      from = parsed;
    } else if (since != null && !since.isBlank()) {
      from = parseOrNull(since.trim());
      if (from == null) {
        error(response, HttpServletResponse.SC_BAD_REQUEST,
            "since must be a stream position <xid>-<id> (an event's id), was '" + since + "'");
        return;
      }
    } else {
      from = feed.head();
    }
    String[] idParams = request.getParameterValues("id");
    Set<String> ids = idParams == null ? Set.of() : Set.of(java.util.Arrays.stream(idParams).distinct().toArray(String[]::new));

    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      refused.incrementAndGet();
      unavailable(response, "too many event streams on this node (" + maxConnections + "); retry later");
      return;
    }
    boolean started = false;
    try {
      response.setStatus(HttpServletResponse.SC_OK);
      response.setContentType("text/event-stream");
      response.setCharacterEncoding("UTF-8");
      response.setHeader("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
      AsyncContext async = request.startAsync();
      async.setTimeout(0);
      ServletOutputStream out = response.getOutputStream();
      SseConnection<?> connection = newConnection(channel, feed, principal, ids, async, out);
      connections.add(connection);
      async.addListener(connection);
      out.setWriteListener(connection);
      started = true;
      try {
        if (badLastEventId) {
          connection.send(preamble);
          connection.resetAndClose(StreamPosition.BEGINNING);
        } else {
          connection.start(preamble, from);
        }
      } catch (RuntimeException e) { // the reader closed under us (shutdown)
        log.debug("web channel '{}': could not subscribe: {}", name, e.toString());
        connection.close();
      }
      if (closed) {
        connection.close();
      }
    } finally {
      if (!started) {
        open.decrementAndGet();
      }
    }
  }

  private <T> SseConnection<T> newConnection(
      ChannelRuntime<T> channel, EventFeed feed, Principal principal, Set<String> ids, AsyncContext async,
      ServletOutputStream out) {
    return new SseConnection<>(this, channel, feed, principal, ids, async, out, bufferEvents);
  }

  @SuppressWarnings("unchecked")
  <T> boolean visible(ChannelRuntime<T> channel, Principal principal, ChangeEvent<T> event) {
    try {
      return channel.channel.visibility().visible(principal, event)
          && visibility.visible(principal, (ChangeEvent<Object>) (ChangeEvent<?>) event);
    } catch (RuntimeException e) {
      log.warn("web channel '{}': the visibility hook failed at {}; the event is not sent to this subscriber",
          channel.channel.name(), event.position(), e);
      return false;
    }
  }

  void removed(SseConnection<?> connection) {
    if (connections.remove(connection)) {
      open.decrementAndGet();
    }
  }

  private void beat() {
    long now = System.nanoTime();
    boolean due = now - lastBeat >= heartbeatNanos - 5_000_000;
    if (due) {
      lastBeat = now;
    }
    for (SseConnection<?> c : connections) {
      if (c.checkStalled(now, stallNanos)) {
        slowDropped.incrementAndGet();
      } else if (due) {
        c.send(HEARTBEAT);
      }
    }
  }

  private void unavailable(HttpServletResponse response, String message) throws IOException {
    response.setHeader("Retry-After", Long.toString(Math.max(1, retryAfter.toSeconds())));
    error(response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, message);
  }

  private static void error(HttpServletResponse response, int status, String message) throws IOException {
    response.setStatus(status);
    response.setContentType("text/plain");
    response.setCharacterEncoding("UTF-8");
    response.getWriter().write(message + "\n");
  }

  private static StreamPosition parseOrNull(String token) {
    try {
      return StreamPosition.parse(token);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Open event streams on this node. */
  public int connectionCount() {
    return open.get();
  }

  /** Connections closed because their client read nothing of its full buffer for the stall timeout. */
  public long slowClientsDisconnected() {
    return slowDropped.get();
  }

  /** Requests refused with 503 past {@link Builder#maxConnections}. */
  public long refusedConnections() {
    return refused.get();
  }

  /** The channels exposed, by name. */
  public Set<String> channels() {
    return channels.keySet();
  }

  /**
   * Graceful shutdown (idempotent): new requests get 503, every open stream is ended so that its client reconnects
   * (to another node behind the load balancer) with its last id, then the stream readers stop.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    heartbeat.shutdownNow();
    for (SseConnection<?> c : List.copyOf(connections)) {
      c.close();
    }
    feeds.values().forEach(EventFeed::close);
  }

  /** Options of a {@link PushEndpoint}; validated by {@link #build()}. */
  public static final class Builder {
    private final DataSource dataSource;
    private final List<WebChannel<?>> channels = new java.util.ArrayList<>();
    private final Map<String, EventFeed> feeds = new LinkedHashMap<>();
    private String schema = NotificationTable.DEFAULT_SCHEMA;
    private ObjectMapper mapper = Json.newMapper();
    private PrincipalResolver principals = HttpServletRequest::getUserPrincipal;
    private boolean requireAuthentication = true;
    private ConnectAuthorizer authorizer = (principal, channel, request) -> true;
    private EventVisibility<Object> visibility = (principal, event) -> true;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int bufferEvents = DEFAULT_BUFFER_EVENTS;
    private Duration heartbeat = DEFAULT_HEARTBEAT;
    private Duration retryAfter = DEFAULT_RETRY_AFTER;
    private Duration reconnectDelay = DEFAULT_RECONNECT_DELAY;
    private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
    private int deliveryThreads = 2;

    private Builder(DataSource dataSource) {
      this.dataSource = dataSource;
    }

    /** Exposes a channel (it must have a projection). */
    public Builder channel(WebChannel<?> channel) {
      Objects.requireNonNull(channel, "channel");
      if (channel.projection() == null) {
        throw new IllegalArgumentException(
            "web channel '" + channel.name() + "' has no projection: declare what browsers may see with project(...)");
      }
      for (WebChannel<?> c : channels) {
        if (c.name().equals(channel.name())) {
          throw new IllegalArgumentException("web channel '" + channel.name() + "' is registered twice");
        }
      }
      channels.add(channel);
      return this;
    }

    /** The schema of the stream tables. Default {@code public}. */
    public Builder schema(String schema) {
      this.schema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /** The mapper that writes projections. Default: the library's (ISO dates). */
    public Builder objectMapper(ObjectMapper mapper) {
      this.mapper = Objects.requireNonNull(mapper, "mapper");
      return this;
    }

    /** How the request's user is found. Default {@link HttpServletRequest#getUserPrincipal()}. */
    public Builder principal(PrincipalResolver principals) {
      this.principals = Objects.requireNonNull(principals, "principals");
      return this;
    }

    /** Refuse requests without a user with 401. Default: true (set false for public channels). */
    public Builder requireAuthentication(boolean requireAuthentication) {
      this.requireAuthentication = requireAuthentication;
      return this;
    }

    /** The connect hook: false answers 403. Default: every (authenticated) user may open every exposed channel. */
    public Builder authorize(ConnectAuthorizer authorizer) {
      this.authorizer = Objects.requireNonNull(authorizer, "authorizer");
      return this;
    }

    /** A visibility hook for every channel, checked after the channel's own {@link WebChannel#visibleTo}. */
    public Builder visibleTo(EventVisibility<Object> visibility) {
      this.visibility = Objects.requireNonNull(visibility, "visibility");
      return this;
    }

    /** Open event streams per node; past it a request gets 503 with {@code Retry-After}. Default 10,000. */
    public Builder maxConnections(int maxConnections) {
      this.maxConnections = atLeastOne(maxConnections, "maxConnections");
      return this;
    }

    /**
     * Events queued per connection while its client is not reading. When it is full the connection's subscription
     * pauses until the client has read the queue, then goes on from where it paused (from the reader's memory or
     * the database), so a long catch-up never needs more. Frames are shared between connections: the memory is
     * references. Default 256.
     */
    public Builder bufferEvents(int bufferEvents) {
      this.bufferEvents = atLeastOne(bufferEvents, "bufferEvents");
      return this;
    }

    /**
     * A client that reads nothing of its queued events for this long is too slow: its stream is closed (it resumes
     * by its last id). Checked every heartbeat (or a quarter of this, when shorter). Default 30 s.
     */
    public Builder stallTimeout(Duration stallTimeout) {
      this.stallTimeout = positive(stallTimeout, "stallTimeout");
      return this;
    }

    /** How often a comment line is sent on every stream (keeps proxies from closing idle ones). Default 15 s. */
    public Builder heartbeat(Duration heartbeat) {
      this.heartbeat = positive(heartbeat, "heartbeat");
      return this;
    }

    /** The {@code Retry-After} of a 503 (whole seconds, at least 1). Default 5 s. */
    public Builder retryAfter(Duration retryAfter) {
      this.retryAfter = positive(retryAfter, "retryAfter");
      return this;
    }

    /** The {@code retry:} sent to browsers: how long EventSource waits before it reconnects. Default 2 s. */
    public Builder reconnectDelay(Duration reconnectDelay) {
      this.reconnectDelay = positive(reconnectDelay, "reconnectDelay");
      return this;
    }

    /** Threads per stream that run subscribers' filters and hooks (the stream reader's delivery threads). Default 2. */
    public Builder deliveryThreads(int deliveryThreads) {
      this.deliveryThreads = atLeastOne(deliveryThreads, "deliveryThreads");
      return this;
    }

    /** Feeds {@code stream} from {@code feed} instead of a stream reader (tests, the benchmark's baseline). */
    public Builder feed(String stream, EventFeed feed) {
      feeds.put(Objects.requireNonNull(stream, "stream"), Objects.requireNonNull(feed, "feed"));
      return this;
    }

    /** Starts one stream reader per stream of the registered channels (each connects before this returns). */
    public PushEndpoint build() {
      if (channels.isEmpty()) {
        throw new IllegalStateException("no web channel registered: add one with channel(WebChannel...)");
      }
      if (dataSource == null) {
        for (WebChannel<?> c : channels) {
          if (!feeds.containsKey(c.stream())) {
            throw new IllegalStateException("no DataSource, and no feed for stream '" + c.stream() + "'");
          }
        }
      }
      return new PushEndpoint(this);
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
}
