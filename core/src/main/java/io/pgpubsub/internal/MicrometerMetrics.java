package io.pgpubsub.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Micrometer meters, tagged {@code channel} and {@code listener}. Loaded only when Micrometer is present. */
final class MicrometerMetrics implements Metrics {

  private final MeterRegistry registry;
  private final Map<String, ChannelMetrics> channels = new HashMap<>();
  private final List<Meter> meters = new ArrayList<>();

  private MicrometerMetrics(
      MeterRegistry registry, String listenerName, Collection<String> names, Collection<String> ordered) {
    this.registry = registry;
    for (String name : names) {
      Tags tags = Tags.of("channel", name, "listener", listenerName);
      Counter processed =
          Counter.builder("pgpubsub.notifications.processed")
              .description("notifications whose callbacks succeeded and that were removed")
              .tags(tags)
              .register(registry);
      Counter failed =
          Counter.builder("pgpubsub.notifications.failed")
              .description("failed attempts (callback, decode or flush error)")
              .tags(tags)
              .register(registry);
      Counter retried =
          Counter.builder("pgpubsub.notifications.retried")
              .description("failed attempts scheduled for another attempt")
              .tags(tags)
              .register(registry);
      Counter dead =
          Counter.builder("pgpubsub.notifications.dead")
              .description("notifications that exhausted their attempts or could not be decoded")
              .tags(tags)
              .register(registry);
      Timer lag =
          Timer.builder("pgpubsub.notifications.lag")
              .description("time from the writer's store to successful processing")
              .tags(tags)
              .register(registry);
      AtomicLong backlogValue = new AtomicLong();
      Gauge backlog =
          Gauge.builder("pgpubsub.notifications.backlog", backlogValue, AtomicLong::get)
              .description("ready notifications waiting in the table (last count)")
              .tags(tags)
              .strongReference(true)
              .register(registry);
      meters.addAll(List.of(processed, failed, retried, dead, lag, backlog));
      AtomicLong[] keyValues = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
      if (ordered.contains(name)) {
        String[][] keyGauges = {
          {"pgpubsub.keys.waiting", "keys of an ordered channel with pending notifications (last count)"},
          {"pgpubsub.keys.retrying", "keys held back while their oldest notification waits for a retry"},
          {"pgpubsub.keys.dead", "keys with a dead notification (held back under DeadKeyPolicy.BLOCK)"}
        };
        for (int i = 0; i < keyGauges.length; i++) {
          meters.add(
              Gauge.builder(keyGauges[i][0], keyValues[i], AtomicLong::get)
                  .description(keyGauges[i][1])
                  .tags(tags)
                  .strongReference(true)
                  .register(registry));
        }
      }
      channels.put(
          name,
          new ChannelMetrics() {
            @Override
            public void processed(long lagMillis) {
              processed.increment();
              lag.record(Math.max(0, lagMillis), TimeUnit.MILLISECONDS);
            }

            @Override
            public void failed() {
              failed.increment();
            }

            @Override
            public void retried() {
              retried.increment();
            }

            @Override
            public void dead() {
              dead.increment();
            }

            @Override
            public void backlog(long count) {
              backlogValue.set(count);
            }

            @Override
            public void keys(long waiting, long retrying, long dead) {
              keyValues[0].set(waiting);
              keyValues[1].set(retrying);
              keyValues[2].set(dead);
            }
          });
    }
  }

  static Metrics create(Object registry, String listenerName, Collection<String> channels, Collection<String> ordered) {
    MeterRegistry r;
    if (registry == null) {
      r = io.micrometer.core.instrument.Metrics.globalRegistry;
    } else if (registry instanceof MeterRegistry) {
      r = (MeterRegistry) registry;
    } else {
      throw new IllegalArgumentException(
          "meterRegistry must be an io.micrometer.core.instrument.MeterRegistry, got "
              + registry.getClass().getName());
    }
    return new MicrometerMetrics(r, listenerName, channels, ordered);
  }

  @Override
  public ChannelMetrics channel(String channel) {
    ChannelMetrics m = channels.get(channel);
    return m != null ? m : NO_OP_CHANNEL;
  }

  @Override
  public boolean enabled() {
    return true;
  }

  @Override
  public void close() {
    for (Meter m : meters) {
      registry.remove(m);
    }
  }
}
