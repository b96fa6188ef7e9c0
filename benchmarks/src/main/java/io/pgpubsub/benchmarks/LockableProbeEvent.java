package io.pgpubsub.benchmarks;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * The same table as {@link StreamProbeEvent}, declared as today's lockable channel, so that {@link StreamProbe}
 * compares the two generated triggers on the same writes (one of them enabled at a time).
 */
@Entity
@Table(name = StreamProbeEvent.TABLE)
@TriggerChannel(name = LockableProbeEvent.CHANNEL)
public class LockableProbeEvent {

  public static final String CHANNEL = "stream_probe_lockable";

  @Id public Long id;
  public long seq;
  public String note;
}
