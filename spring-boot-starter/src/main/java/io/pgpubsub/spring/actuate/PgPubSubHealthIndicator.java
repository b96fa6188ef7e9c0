package io.pgpubsub.spring.actuate;

import io.pgpubsub.ChannelStatus;
import io.pgpubsub.ChannelStatusReader;
import io.pgpubsub.Listener;
import io.pgpubsub.spring.PubSubListenerLifecycle;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of this instance's listener: UP while it runs with its LISTEN connection up; DOWN while that
 * connection is being re-established (the listener reconnects by itself) or when it is not running. With the WAL
 * transport: UP while it runs, whether it reads the slot or stands by for it (one process reads it), DOWN when
 * it stopped reading (a dropped or invalidated slot: {@code walError}); details add the slot, whether this
 * process leads it, retained and lag bytes and PostgreSQL's {@code wal_status}. Details:
 * name, channels, workers, listening, and the dead notifications per channel, which do not make it DOWN unless
 * {@code pgpubsub.health.down-on-dead-letters=true}. Without a listener ({@code
 * pgpubsub.listener.enabled=false}) it reports UP with the dead letters only.
 */
public class PgPubSubHealthIndicator extends AbstractHealthIndicator {

  private final DataSource dataSource;
  private final String schema;
  private final @Nullable PubSubListenerLifecycle lifecycle;
  private final boolean downOnDeadLetters;

  public PgPubSubHealthIndicator(
      DataSource dataSource, String schema, @Nullable PubSubListenerLifecycle lifecycle, boolean downOnDeadLetters) {
    super("pgpubsub health check failed");
    this.dataSource = dataSource;
    this.schema = schema;
    this.lifecycle = lifecycle;
    this.downOnDeadLetters = downOnDeadLetters;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) throws Exception {
    Map<String, Object> listener = listenerDetails(lifecycle);
    Map<String, Long> dead = new LinkedHashMap<>();
    long total = 0;
    for (ChannelStatus f : ChannelStatusReader.of(dataSource, schema).read()) {
      if (f.dead() > 0) {
        dead.put(f.channel(), f.dead());
        total += f.dead();
      }
    }
    boolean up;
    if (lifecycle == null) {
      up = true;
    } else if ("WAL".equals(listener.get("transport"))) {
      // one process reads the slot, the others stand by: a standby is healthy; a stopped reader is not
      up = Boolean.TRUE.equals(listener.get("running")) && listener.get("walError") == null;
    } else {
      up = Boolean.TRUE.equals(listener.get("listening"));
    }
    if (downOnDeadLetters && total > 0) {
      up = false;
    }
    builder.status(up ? org.springframework.boot.health.contributor.Status.UP
            : org.springframework.boot.health.contributor.Status.DOWN)
        .withDetail("listener", listener)
        .withDetail("deadLetters", total)
        .withDetail("deadLettersByChannel", dead);
  }

  static Map<String, Object> listenerDetails(@Nullable PubSubListenerLifecycle lifecycle) {
    Map<String, Object> d = new LinkedHashMap<>();
    Listener l = lifecycle != null ? lifecycle.listener() : null;
    if (lifecycle == null) {
      d.put("enabled", false);
      return d;
    }
    d.put("enabled", true);
    d.put("running", l != null && l.isRunning());
    d.put("listening", l != null && l.isListening());
    if (l != null) {
      d.put("name", l.name());
      d.put("channels", l.channels());
      d.put("workers", l.workers());
      d.put("batchSize", l.batchSize());
      d.put("pollInterval", l.pollInterval().toString());
      d.put("transport", l.transport().name());
      if (l.transport() == io.pgpubsub.Transport.WAL && l.isRunning()) {
        try {
          io.pgpubsub.WalStatus w = l.walStatus();
          d.put("walSlot", w.slot());
          d.put("walLeader", w.leader());
          d.put("walRetainedBytes", w.retainedBytes());
          d.put("walLagBytes", w.lagBytes());
          d.put("walStatus", w.walStatus());
          if (w.error() != null) {
            d.put("walError", w.error());
          }
        } catch (IllegalStateException e) {
          d.put("walError", e.getMessage());
        }
      }
    }
    return d;
  }
}
