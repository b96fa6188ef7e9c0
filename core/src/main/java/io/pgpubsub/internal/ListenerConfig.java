package io.pgpubsub.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.RowDecoder;
import io.pgpubsub.spi.TransactionResources;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import javax.sql.DataSource;

/** A listener's configuration, validated by {@link io.pgpubsub.Listener.Builder#build()} and frozen. */
public record ListenerConfig(
    String name,
    DataSource dataSource,
    String jdbcUrl,
    String user,
    String password,
    String listenUrl,
    List<ChannelDefinition> channels,
    int workers,
    int batchSize,
    Duration pollInterval,
    RetryPolicy retryPolicy,
    boolean recoverOnStart,
    RowDecoder rowDecoder,
    TransactionResources transactionResources,
    Function<Class<?>, Object> listenerFactory,
    String payloadFilter,
    String schema,
    boolean installSchema,
    Duration gracePeriod,
    Duration callbackTimeout,
    Duration reconnectInitialDelay,
    Duration reconnectMaxDelay,
    ObjectMapper objectMapper,
    Object meterRegistry) {

  public ListenerConfig {
    channels = List.copyOf(channels);
  }

  public List<String> channelNames() {
    return channels.stream().map(ChannelDefinition::name).toList();
  }

  /** Everything but secrets: the password, and a password given in a JDBC URL, are masked. */
  @Override
  public String toString() {
    return "ListenerConfig[name="
        + name
        + ", dataSource="
        + dataSource
        + ", jdbcUrl="
        + maskUrl(jdbcUrl)
        + ", user="
        + user
        + ", password="
        + (password == null ? null : "****")
        + ", listenUrl="
        + maskUrl(listenUrl)
        + ", channels="
        + channelNames()
        + ", workers="
        + workers
        + ", batchSize="
        + batchSize
        + ", pollInterval="
        + pollInterval
        + ", retryPolicy="
        + retryPolicy
        + ", recoverOnStart="
        + recoverOnStart
        + ", payloadFilter="
        + payloadFilter
        + ", schema="
        + schema
        + ", installSchema="
        + installSchema
        + ", gracePeriod="
        + gracePeriod
        + ", callbackTimeout="
        + callbackTimeout
        + ", reconnectDelay="
        + reconnectInitialDelay
        + ".."
        + reconnectMaxDelay
        + "]";
  }

  /** A JDBC URL with the values of its password parameters (any case, e.g. password=, sslpassword=) masked. */
  static String maskUrl(String url) {
    if (url == null) {
      return null;
    }
    return url.replaceAll("(?i)(password=)[^&;]*", "$1****");
  }
}
