package io.pgpubsub.benchmarks;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;
import java.time.Instant;

/**
 * The entity the Hibernate writers persist: {@link BenchEvent}'s table, mapped as an application that writes in
 * bulk maps it. Ids come from a sequence with an allocation size of 50, because Hibernate turns off JDBC
 * batching of inserts for {@code IDENTITY} ids; the sequence starts far above the identity column's values,
 * so both kinds of writers can share the table. {@code created_at} keeps the column's default.
 */
@Entity(name = "BenchWrite")
@Table(name = BenchEvent.CHANNEL)
public class BenchWrite {

  static final String SEQUENCE_DDL =
      "CREATE SEQUENCE IF NOT EXISTS public.bench_write_seq START 1000000000000 INCREMENT 50";

  @Id
  @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "bench_write")
  @SequenceGenerator(name = "bench_write", sequenceName = "public.bench_write_seq", allocationSize = 50)
  public Long id;

  public long seq;

  public int writer;

  public String note;

  @Column(name = "created_at", insertable = false, updatable = false)
  public Instant createdAt;

  public BenchWrite() {}

  BenchWrite(long seq, int writer) {
    this.seq = seq;
    this.writer = writer;
    this.note = Writers.NOTE;
  }
}
