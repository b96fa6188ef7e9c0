package io.pgpubsub.relay.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.ShutdownSignalException;
import io.pgpubsub.relay.RelayMessage;
import io.pgpubsub.relay.RelayPublisher;
import io.pgpubsub.relay.RelayRefusedException;
import java.io.IOException;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Publishes relayed notifications to a RabbitMQ exchange with publisher confirms: a message counts as sent only
 * once the broker acked it. Messages are persistent ({@code delivery_mode 2}), published with the {@code
 * mandatory} flag, carry the notification id as {@code message-id}, {@link RelayMessage#headers()} as headers,
 * the writing transaction's time as {@code timestamp} and {@code application/json} as content type. The routing
 * key is the order key by default ({@link Builder#routingKey}).
 *
 * <p>Refused, so dead at once: a message the broker returned as unroutable (no queue bound for its routing key;
 * the {@code basic.return}, which RabbitMQ sends before the confirm), and a message larger than the broker's
 * {@code max_message_size} (the broker closes the channel with 406 PRECONDITION_FAILED naming the limit; the
 * messages of that channel above the limit are refused, the others are transient failures). A nack, a closed
 * channel or connection, or a broker that cannot be reached is transient: the publisher opens a new connection
 * on the next publish.
 *
 * <p>One channel is shared by every relay worker; publishing on it is serialized (publishing is only the write
 * to the socket: the workers wait for confirms in parallel).
 */
public final class RabbitRelayPublisher implements RelayPublisher {

  private static final Pattern MAX_SIZE = Pattern.compile("max size (\\d+)");

  private final ConnectionFactory factory;
  private final String exchange;
  private final Function<RelayMessage, String> routingKey;
  private final Object lock = new Object();
  private Connection connection;
  private Link link;
  private volatile boolean closed;

  /** One AMQP channel with its unconfirmed messages (by publish sequence number) and returned message ids. */
  private static final class Link {
    final Channel channel;
    final ConcurrentNavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
    final Map<String, String> returned = new ConcurrentHashMap<>();

    Link(Channel channel) {
      this.channel = channel;
    }
  }

  private record Pending(RelayMessage message, CompletableFuture<Void> future) {}

  private RabbitRelayPublisher(Builder b) {
    this.factory = b.factory;
    this.exchange = b.exchange;
    this.routingKey = b.routingKey;
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public CompletableFuture<Void> publish(RelayMessage m) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    String key = routingKey.apply(m);
    Map<String, Object> headers = new HashMap<>(m.headers());
    AMQP.BasicProperties props =
        new AMQP.BasicProperties.Builder()
            .messageId(Long.toString(m.id()))
            .contentType("application/json")
            .contentEncoding("UTF-8")
            .deliveryMode(2)
            .timestamp(Date.from(m.time()))
            .headers(headers)
            .build();
    synchronized (lock) {
      try {
        Link l = link();
        long seq = l.channel.getNextPublishSeqNo();
        l.pending.put(seq, new Pending(m, f));
        try {
          l.channel.basicPublish(exchange, key, true, props, m.body());
        } catch (IOException | RuntimeException e) {
          l.pending.remove(seq);
          throw e;
        }
      } catch (IOException | RuntimeException e) {
        f.completeExceptionally(e);
      }
    }
    return f;
  }

  /** The open channel, opening a connection and a channel when needed. Called under {@link #lock}. */
  private Link link() throws IOException {
    if (closed) {
      throw new IOException(target() + ": the publisher is closed");
    }
    if (link != null && link.channel.isOpen()) {
      return link;
    }
    if (connection == null || !connection.isOpen()) {
      try {
        connection = factory.newConnection("pgpubsub-relay");
      } catch (java.util.concurrent.TimeoutException e) {
        throw new IOException("connecting to RabbitMQ at " + factory.getHost() + ":" + factory.getPort()
            + " timed out", e);
      }
    }
    Channel ch = connection.createChannel();
    ch.confirmSelect();
    Link l = new Link(ch);
    ch.addReturnListener(
        r -> l.returned.put(
            String.valueOf(r.getProperties().getMessageId()),
            r.getReplyCode() + " " + r.getReplyText() + " (exchange '" + r.getExchange() + "', routing key '"
                + r.getRoutingKey() + "')"));
    ch.addConfirmListener(
        (seq, multiple) -> settle(l, seq, multiple, true), (seq, multiple) -> settle(l, seq, multiple, false));
    ch.addShutdownListener(cause -> failAll(l, cause));
    link = l;
    return l;
  }

  private void settle(Link l, long seq, boolean multiple, boolean ack) {
    Map<Long, Pending> done = multiple ? l.pending.headMap(seq, true) : l.pending.subMap(seq, true, seq, true);
    for (Map.Entry<Long, Pending> e : Map.copyOf(done).entrySet()) {
      l.pending.remove(e.getKey());
      Pending p = e.getValue();
      String returned = l.returned.remove(Long.toString(p.message.id()));
      if (returned != null) {
        p.future.completeExceptionally(new RelayRefusedException(
            "RabbitMQ returned the message as unroutable: " + returned));
      } else if (ack) {
        p.future.complete(null);
      } else {
        p.future.completeExceptionally(new IOException(target() + " nacked message " + p.message.id()));
      }
    }
  }

  /** The channel closed: its unconfirmed messages failed (refused when they were over the broker's size limit). */
  private void failAll(Link l, ShutdownSignalException cause) {
    long limit = -1;
    String text = cause.getMessage();
    if (cause.getReason() instanceof AMQP.Channel.Close close && close.getReplyCode() == 406) {
      text = close.getReplyCode() + " " + close.getReplyText();
      Matcher m = MAX_SIZE.matcher(close.getReplyText());
      if (m.find()) {
        limit = Long.parseLong(m.group(1));
      }
    }
    for (Long seq : l.pending.keySet()) {
      Pending p = l.pending.remove(seq);
      if (p == null) {
        continue;
      }
      if (limit >= 0 && p.message.body().length > limit) {
        p.future.completeExceptionally(new RelayRefusedException(
            "RabbitMQ refused the message (" + p.message.body().length + " bytes): " + text));
      } else {
        p.future.completeExceptionally(new IOException(target() + ": channel closed: " + text, cause));
      }
    }
  }

  @Override
  public String target() {
    return "rabbitmq exchange '" + exchange + "' at " + factory.getHost() + ":" + factory.getPort();
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (connection != null) {
        try {
          connection.close(5_000);
        } catch (Exception e) {
          // closing anyway
        }
      }
    }
  }

  /** Configures a {@link RabbitRelayPublisher}. */
  public static final class Builder {
    private ConnectionFactory factory;
    private String exchange;
    private Function<RelayMessage, String> routingKey = RelayMessage::key;

    private Builder() {
      factory = new ConnectionFactory();
      factory.setAutomaticRecoveryEnabled(false); // the publisher reconnects itself, on the next publish
      factory.setConnectionTimeout(5_000);
    }

    /** Host, port, user, password and virtual host from {@code uri} ({@code amqp://guest:guest@host:5672/vhost}). */
    public Builder uri(String uri) {
      try {
        factory.setUri(uri);
      } catch (Exception e) {
        throw new IllegalArgumentException("not an AMQP URI: " + uri + " (" + e.getMessage() + ")", e);
      }
      return this;
    }

    public Builder host(String host) {
      factory.setHost(host);
      return this;
    }

    public Builder port(int port) {
      factory.setPort(port);
      return this;
    }

    public Builder username(String username) {
      factory.setUsername(username);
      return this;
    }

    public Builder password(String password) {
      factory.setPassword(password);
      return this;
    }

    public Builder virtualHost(String virtualHost) {
      factory.setVirtualHost(virtualHost);
      return this;
    }

    /**
     * A connection factory of your own (Spring Boot's for example). Automatic recovery is switched off on it:
     * the publisher opens a new connection itself when the old one is gone.
     */
    public Builder connectionFactory(ConnectionFactory factory) {
      this.factory = factory;
      factory.setAutomaticRecoveryEnabled(false);
      return this;
    }

    /** The exchange to publish to ({@code ""} is the default exchange, which routes by queue name). */
    public Builder exchange(String exchange) {
      this.exchange = exchange;
      return this;
    }

    /** The routing key of a message (default: its order key, {@link RelayMessage#key()}). */
    public Builder routingKey(Function<RelayMessage, String> routingKey) {
      this.routingKey = java.util.Objects.requireNonNull(routingKey, "routingKey");
      return this;
    }

    /** The routing key {@code prefix + key}, for topic exchanges ({@code "purchase."} for example). */
    public Builder routingKeyPrefix(String prefix) {
      return routingKey(m -> prefix + m.key());
    }

    public RabbitRelayPublisher build() {
      if (exchange == null) {
        throw new IllegalArgumentException("a RabbitMQ relay publisher needs an exchange (\"\" for the default one)");
      }
      return new RabbitRelayPublisher(this);
    }
  }
}
