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
 */
public final class NatsRelayPublisher implements RelayPublisher {

  /** JetStream's error code for "message size exceeds maximum allowed". */
  static final int MESSAGE_TOO_LARGE = 10054;

  private final Connection connection;
  private final boolean ownConnection;
  private final JetStream jetStream;
  private final String prefix;
  private final Duration ackTimeout;

  private NatsRelayPublisher(Connection connection, boolean own, String prefix, Duration ackTimeout)
      throws IOException {
    this.connection = connection;
    this.ownConnection = own;
    this.jetStream = connection.jetStream();
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
    try {
      jetStream
          .publishAsync(subject, headers, m.body(), options)
          .whenComplete(
              (ack, e) -> {
                if (e == null) {
                  f.complete(ack);
                } else {
                  f.completeExceptionally(classify(subject, e));
                }
              });
    } catch (RuntimeException e) {
      f.completeExceptionally(classify(subject, e));
    }
    return f;
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
    if (ownConnection) {
      try {
        connection.close();
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
          return new NatsRelayPublisher(connection, false, prefix, ackTimeout);
        }
        Options options =
            Options.builder()
                .server(server)
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(200))
                .connectionTimeout(Duration.ofSeconds(5))
                .reportNoResponders()
                .connectionName("pgpubsub-relay")
                .build();
        return new NatsRelayPublisher(Nats.connectReconnectOnConnect(options), true, prefix, ackTimeout);
      } catch (IOException e) {
        throw new IllegalStateException("cannot connect to NATS at " + server + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while connecting to NATS at " + server, e);
      }
    }
  }
}
