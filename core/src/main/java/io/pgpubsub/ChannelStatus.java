package io.pgpubsub;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The operations status of one channel, as {@link ChannelStatusReader} reads it from the notification table
 * and the listeners' heartbeat table at one instant.
 *
 * @param channel the channel name
 * @param pending notifications not yet processed and not dead: ready ones plus those waiting for a retry
 * @param retrying the pending notifications that already failed at least once (a subset of {@code pending})
 * @param dead notifications that exhausted their attempts or could not be decoded (see {@link DeadLetters})
 * @param oldestPending how long the oldest pending notification has been waiting since it was stored (the
 *     channel's lag); null when nothing is pending
 * @param listeners the listener processes serving this channel whose heartbeat is younger than {@link
 *     ChannelStatusReader#LIVE_WINDOW}, by name
 * @param keys for an ordered channel (its notifications have keys), its keys; null otherwise
 */
public record ChannelStatus(
    String channel,
    long pending,
    long retrying,
    long dead,
    Duration oldestPending,
    List<ListenerProcess> listeners,
    Keys keys) {

  public ChannelStatus {
    listeners = List.copyOf(listeners);
  }

  /** A channel without keys. */
  public ChannelStatus(
      String channel, long pending, long retrying, long dead, Duration oldestPending, List<ListenerProcess> listeners) {
    this(channel, pending, retrying, dead, oldestPending, listeners, null);
  }

  /**
   * The keys of an ordered channel (see docs/ordered-channels.md).
   *
   * @param waiting keys with pending notifications
   * @param retrying keys held back by a retry: their next notification failed and waits for its next attempt
   * @param dead keys with a dead notification: held back until it is retried or purged when the channel's
   *     dead-key policy is {@code BLOCK}; moved on with {@code MOVE_ON}
   * @param oldestKey the key of the oldest pending notification, null when nothing is pending
   * @param oldestKeyAge how long that notification has been waiting since it was stored, null when nothing is
   *     pending
   */
  public record Keys(long waiting, long retrying, long dead, String oldestKey, Duration oldestKeyAge) {}

  /** The summed processing rate of the live listeners, in notifications per second. */
  public double ratePerSecond() {
    return listeners.stream().mapToDouble(ListenerProcess::ratePerSecond).sum();
  }

  /**
   * One live listener process serving a channel, from its latest heartbeat.
   *
   * @param name the listener's name and process ({@code name@pid@host})
   * @param processed notifications of the channel it processed since it started
   * @param ratePerSecond its processing rate over its last heartbeat interval
   * @param heartbeatAt when it last wrote its heartbeat
   */
  public record ListenerProcess(String name, long processed, double ratePerSecond, Instant heartbeatAt) {}
}
