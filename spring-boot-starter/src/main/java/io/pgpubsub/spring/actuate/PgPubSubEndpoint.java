package io.pgpubsub.spring.actuate;

import io.pgpubsub.ChannelStatus;
import io.pgpubsub.ChannelStatusReader;
import io.pgpubsub.DeadLetters;
import io.pgpubsub.Listener;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import io.pgpubsub.spring.PubSubListenerLifecycle;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * Actuator endpoint {@code pgpubsub}: per channel pending, retrying, dead, age of the oldest pending and live
 * listeners (read); retry (write, {@code POST}) and purge ({@code DELETE}) of dead notifications by {@code id},
 * by {@code channel}, or {@code all=true}. Read-only by default: writes need {@code
 * management.endpoint.pgpubsub.access=unrestricted}, and are secured like every actuator write (exposure,
 * access, Spring Security).
 */
@Endpoint(id = "pgpubsub", defaultAccess = Access.READ_ONLY)
public class PgPubSubEndpoint {

  private final DataSource dataSource;
  private final String schema;
  private final @Nullable PubSubListenerLifecycle lifecycle;

  public PgPubSubEndpoint(DataSource dataSource, String schema, @Nullable PubSubListenerLifecycle lifecycle) {
    this.dataSource = dataSource;
    this.schema = schema;
    this.lifecycle = lifecycle;
  }

  @ReadOperation
  public Map<String, Object> status() throws SQLException {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("schema", schema);
    out.put("listener", PgPubSubHealthIndicator.listenerDetails(lifecycle));
    List<String> known =
        Registries.channels().stream().filter(c -> !c.listeners().isEmpty()).map(ChannelDefinition::name).toList();
    List<Map<String, Object>> channels = new ArrayList<>();
    for (ChannelStatus c : ChannelStatusReader.of(dataSource, schema).read(known)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("channel", c.channel());
      m.put("pending", c.pending());
      m.put("retrying", c.retrying());
      m.put("dead", c.dead());
      m.put("oldestPendingSeconds", c.oldestPending() == null ? null : c.oldestPending().toMillis() / 1000.0);
      m.put("ratePerSecond", c.ratePerSecond());
      m.put("listeners", c.listeners().stream().map(ChannelStatus.ListenerProcess::name).toList());
      if (c.keys() != null) { // an ordered channel
        Map<String, Object> k = new LinkedHashMap<>();
        k.put("waiting", c.keys().waiting());
        k.put("retrying", c.keys().retrying());
        k.put("dead", c.keys().dead());
        k.put("oldestKey", c.keys().oldestKey());
        k.put("oldestKeyAgeSeconds", c.keys().oldestKeyAge() == null ? null : c.keys().oldestKeyAge().toMillis() / 1000.0);
        m.put("keys", k);
      }
      channels.add(m);
    }
    out.put("channels", channels);
    return out;
  }

  /** Makes dead notifications ready again with a fresh attempt count. */
  @WriteOperation
  public Map<String, Object> retry(@Nullable Long id, @Nullable String channel, @Nullable Boolean all)
      throws SQLException {
    DeadLetters dead = DeadLetters.of(dataSource, schema);
    long n;
    if (id != null) {
      n = dead.retry(id) ? 1 : 0;
    } else if (channel != null) {
      n = dead.retryAll(channel);
    } else if (Boolean.TRUE.equals(all)) {
      n = dead.retryAll();
    } else {
      throw new IllegalArgumentException("give id, channel or all=true");
    }
    return Map.of("retried", n);
  }

  /** Deletes dead notifications for good. */
  @DeleteOperation
  public Map<String, Object> purge(@Nullable Long id, @Nullable String channel, @Nullable Boolean all)
      throws SQLException {
    DeadLetters dead = DeadLetters.of(dataSource, schema);
    long n;
    if (id != null) {
      n = dead.purge(id) ? 1 : 0;
    } else if (channel != null) {
      n = dead.purgeAll(channel);
    } else if (Boolean.TRUE.equals(all)) {
      n = dead.purgeAll();
    } else {
      throw new IllegalArgumentException("give id, channel or all=true");
    }
    return Map.of("purged", n);
  }

  static Listener listener(@Nullable PubSubListenerLifecycle lifecycle) {
    return lifecycle != null ? lifecycle.listener() : null;
  }
}
