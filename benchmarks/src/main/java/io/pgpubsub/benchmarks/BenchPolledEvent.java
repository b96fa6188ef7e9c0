package io.pgpubsub.benchmarks;

import io.pgpubsub.TriggerChannel;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * The same table as {@link BenchEvent}, declared a second time as a channel with {@code pgNotify = false}, so
 * that the write-overhead benchmark measures the processor's real output for that option. Its trigger is
 * disabled except in the write-overhead runs that measure it; no listener runs on it.
 */
@Entity
@Table(name = BenchEvent.CHANNEL)
@TriggerChannel(name = BenchPolledEvent.CHANNEL, pgNotify = false)
public class BenchPolledEvent {

  public static final String CHANNEL = "bench_event_polled";

  @Id public Long id;

  public long seq;

  public int writer;

  public String note;

  @Column(name = "created_at")
  public Instant createdAt;
}
