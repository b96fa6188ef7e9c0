package io.pgpubsub.relay.nats;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamStatusException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.pgpubsub.relay.RelayMessage;
import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.RelayRefusedException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes relayed notifications to NATS JetStream, on the subject {@code <prefix>.<key token>}, with {@code
 * Nats-Msg-Id} set to the notification id: JetStream drops a re-send within the stream's duplicate window (2
 * minutes by default), so consumers see no duplicate at all within it. {@link RelayMessage#headers()} travel as
 * headers, the JSON body as data.
 *
 * <p>The key token is the order key with every character that a subject token cannot hold (whitespace, {@code
 * .}, {@code *}, {@code >}) replaced by {@code _}, and {@code _} for the empty key; two keys may share a token
 * (order is per stream anyway). A stream must listen on {@code <prefix>.>}.
 *
 * <p>Refused, so dead at once: no stream listens on the subject (503, no responders), the stream's {@code
 * max_msg_size} (API error 10054), and a message larger than the server's {@code max_payload}. Every other error
 * (server down, timeouts) is transient; the connection the publisher opens reconnects forever by itself.
 *
 * <p><b>A connection that stopped writing.</b> jnats up to 2.25.1 could come out of a reconnect CONNECTED but with
 * its writer waiting forever for an end-of-reconnect marker it had already consumed (nats.java issue 1522, fixed
 * in 2.25.2): every publish and ping then stays in the client's outgoing queue, and every ack times out, for
 * minutes, until the server drops the connection as stale. The broker-cut test ({@code
 * aBrokerThatIsDownMakesTheBacklogWaitInPostgresAndNothingIsLost}) met it in 2 runs of 3: 47 then 498 messages
 * pending, 62 messages written in all, nothing drained within 90 s. So the publisher checks, when an ack times
 * out while the connection says CONNECTED, whether the connection wrote anything since the last such check at
 * least one ack timeout ago; if it wrote nothing while messages wait, it is stuck, and the publisher replaces its
 * own connection with a new one (or, for a {@link Builder#connection given connection}, forces a reconnect). The
 * messages left in the old queue were never acked: the relay sends them again, and JetStream drops any that did
 * arrive (Nats-Msg-Id). The build uses a jnats with the fix; the check stays for applications that pin an older
 * one, and does nothing while acks arrive.
 */
public final class NatsRelayPublisher implements RelayPublisher {

  /** JetStream's error code for "message size exceeds maximum allowed". */
  static final int MESSAGE_TOO_LARGE = 10054;

  private static final Logger log = LoggerFactory.getLogger(NatsRelayPublisher.class);

  /** The connection and its JetStream context, replaced together when the connection is stuck. */
  private record Link(Connection connection, JetStream jetStream) {}

  private volatile Link link;
  private final boolean ownConnection;
  private final String server;
  private final String prefix;
  private final Duration ackTimeout;
  private volatile boolean closed;

  /** The stuck-writer check: bytes written by the connection at the last check, and when (nanoTime). */
  private final Object check = new Object();
  private Connection checkedConnection;
  private long checkedOutBytes;
  private long checkedAt;
  private final AtomicBoolean replacing = new AtomicBoolean();
  private final AtomicLong replacements = new AtomicLong();

  private NatsRelayPublisher(Connection connection, boolean own, String server, String prefix, Duration ackTimeout)
      throws IOException {
    this.link = new Link(connection, connection.jetStream());
    this.ownConnection = own;
    this.server = server;
    this.prefix = prefix;
    this.ackTimeout = ackTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The subject of a message: {@code prefix + "." + token(key)}. */
  public String subject(RelayMessage m) {
    return prefix + "." + token(m.key());
  }

  /** {@code key} as one subject token. */
  public static String token(String key) {
    if (key.isEmpty()) {
      return "_";
    }
    StringBuilder b = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      b.append(c == '.' || c == '*' || c == '>' || Character.isWhitespace(c) || c < 0x20 ? '_' : c);
    }
    return b.toString();
  }

  @Override
  public CompletableFuture<PublishAck> publish(RelayMessage m) {
    Headers headers = new Headers();
    m.headers().forEach(headers::add);
    String subject = subject(m);
    PublishOptions options =
        PublishOptions.builder().messageId(Long.toString(m.id())).streamTimeout(ackTimeout).build();
    CompletableFuture<PublishAck> f = new CompletableFuture<>();
    Link l = link;
    try {
      l.jetStream
          .publishAsync(subject, headers, m.body(), options)
          .whenComplete(
              (ack, e) -> {
                if (e == null) {
                  f.complete(ack);
                } else {
                  Throwable c = classify(subject, e);
                  if (!(c instanceof RelayRefusedException)) {
                    checkStuck(l.connection);
                  }
                  f.completeExceptionally(c);
                }
              });
    } catch (RuntimeException e) {
      f.completeExceptionally(classify(subject, e));
    }
    return f;
  }

  /**
   * After a failed publish on {@code c}: when {@code c} says CONNECTED, holds unsent messages, and wrote no byte
   * since a check at least one ack timeout ago, its writer is stuck (see the class comment): replace it.
   */
  private void checkStuck(Connection c) {
    if (closed || c != link.connection || c.getStatus() != Connection.Status.CONNECTED) {
      return;
    }
    long now = System.nanoTime();
    long out = c.getStatistics().getOutBytes();
    synchronized (check) {
      if (checkedConnection != c || out != checkedOutBytes) {
        checkedConnection = c;
        checkedOutBytes = out;
        checkedAt = now;
        return;
      }
      if (now - checkedAt < ackTimeout.toNanos() || c.outgoingPendingMessageCount() <= 0) {
        return;
      }
      checkedConnection = null;
    }
    if (!replacing.compareAndSet(false, true)) {
      return;
    }
    log.warn("{}: the NATS connection is CONNECTED but wrote nothing for {} s while {} message(s) wait to be sent;"
        + " {}", target(), ackTimeout.toSeconds(), c.outgoingPendingMessageCount(),
        ownConnection ? "replacing it with a new connection" : "forcing a reconnect");
    Thread t = new Thread(() -> replace(c), "pgpubsub-relay-nats-reconnect");
    t.setDaemon(true);
    t.start();
  }

  private void replace(Connection stuck) {
    try {
      if (!ownConnection) {
        stuck.forceReconnect();
        return;
      }
      Connection fresh = Nats.connectReconnectOnConnect(options(server));
      if (closed) {
        fresh.close();
        return;
      }
      link = new Link(fresh, fresh.jetStream());
      replacements.incrementAndGet();
      try {
        stuck.close();
      } catch (RuntimeException e) {
        // it was stuck anyway
      }
    } catch (IOException | RuntimeException e) {
      log.warn("{}: replacing the stuck NATS connection failed ({}); trying again on the next ack timeout", target(),
          e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      replacing.set(false);
    }
  }

  /**
   * The options of a connection the publisher opens: new ones for every connection, because closing a connection
   * shuts down the executor its Options created (a replacement built from the old Options had every dispatch
   * rejected).
   */
  private static Options options(String server) {
    return Options.builder()
        .server(server)
        .maxReconnects(-1)
        .reconnectWait(Duration.ofMillis(200))
        .connectionTimeout(Duration.ofSeconds(5))
        .reportNoResponders()
        .connectionName("pgpubsub-relay")
        .build();
  }

  /** How many times the publisher replaced its stuck connection (see the class comment). */
  long replacements() {
    return replacements.get();
  }

  private Throwable classify(String subject, Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof JetStreamApiException api && api.getApiErrorCode() == MESSAGE_TOO_LARGE) {
        return new RelayRefusedException("JetStream refused the message on subject '" + subject + "': "
            + api.getMessage(), e);
      }
      if (c instanceof JetStreamStatusException s && s.getStatus() != null && s.getStatus().getCode() == 503) {
        return new RelayRefusedException("no JetStream stream listens on subject '" + subject + "' ("
            + s.getMessage() + ")", e);
      }
      if (c instanceof IllegalArgumentException && String.valueOf(c.getMessage()).contains("payload size")) {
        return new RelayRefusedException("NATS refused the message on subject '" + subject + "': "
            + c.getMessage(), e);
      }
    }
    return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  @Override
  public String target() {
    return "nats jetstream subjects '" + prefix + ".>'";
  }

  @Override
  public void close() {
    closed = true;
    if (ownConnection) {
      try {
        link.connection.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Configures a {@link NatsRelayPublisher}. */
  public static final class Builder {
    private String server = Options.DEFAULT_URL;
    private Connection connection;
    private String prefix;
    private Duration ackTimeout = Duration.ofSeconds(10);

    private Builder() {}

    /** The server URL ({@code nats://host:4222}), when the publisher opens its own connection. */
    public Builder server(String url) {
      this.server = url;
      return this;
    }

    /** A connection of your own (not closed by the publisher). */
    public Builder connection(Connection connection) {
      this.connection = connection;
      return this;
    }

    /** The subject prefix: messages go to {@code prefix.<key token>}. */
    public Builder subjectPrefix(String prefix) {
      this.prefix = prefix;
      return this;
    }

    /** How long a publish waits for JetStream's ack (default 10 s). */
    public Builder ackTimeout(Duration ackTimeout) {
      this.ackTimeout = ackTimeout;
      return this;
    }

    /**
     * @throws IllegalStateException when the server cannot be reached (a publisher that opens its own
     *     connection connects once at build time, and then reconnects forever)
     */
    public NatsRelayPublisher build() {
      if (prefix == null || prefix.isEmpty() || prefix.endsWith(".")) {
        throw new IllegalArgumentException("a NATS relay publisher needs a subject prefix (without a trailing '.')");
      }
      try {
        if (connection != null) {
          return new NatsRelayPublisher(connection, false, null, prefix, ackTimeout);
        }
        return new NatsRelayPublisher(Nats.connectReconnectOnConnect(options(server)), true, server, prefix, ackTimeout);
      } catch (IOException e) {
        throw new IllegalStateException("cannot connect to NATS at " + server + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while connecting to NATS at " + server, e);
      }
    }
  }
}
