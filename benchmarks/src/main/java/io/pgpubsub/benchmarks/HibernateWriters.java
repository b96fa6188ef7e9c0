package io.pgpubsub.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.pgpubsub.hibernate.PubSubSettings;
import jakarta.persistence.EntityManagerFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.Transaction;
import org.hibernate.jpa.HibernatePersistenceConfiguration;

/**
 * Writers as a Hibernate application writes: a SessionFactory on a HikariCP pool (what Spring Boot gives it),
 * {@link BenchWrite} entities, {@code session.persist} and a commit. One entity per transaction over several
 * threads (each its own Session, as a request handler would), or many entities in one transaction, flushed and
 * cleared every {@code hibernate.jdbc.batch_size} entities (Hibernate's advice for batch inserts).
 */
final class HibernateWriters implements WriteOverhead.Client {

  private final String label;
  private final HikariDataSource dataSource;
  private final SessionFactory sessionFactory;
  private final int threads;
  private final int batchSize;
  private final boolean oneTransaction;

  /**
   * @param threads concurrent writers for one entity per transaction; 1 with {@code oneTransaction}
   * @param batchSize {@code hibernate.jdbc.batch_size} (0: Hibernate's default, no batching)
   */
  private HibernateWriters(String label, String jdbcUrl, int threads, int batchSize, boolean oneTransaction) {
    this.label = label;
    this.threads = threads;
    this.batchSize = batchSize;
    this.oneTransaction = oneTransaction;
    HikariConfig pool = new HikariConfig();
    pool.setJdbcUrl(jdbcUrl);
    pool.setMaximumPoolSize(threads);
    pool.setMinimumIdle(threads);
    pool.setAutoCommit(false);
    pool.setPoolName("bench-hibernate-writers");
    this.dataSource = new HikariDataSource(pool);
    HibernatePersistenceConfiguration config =
        new HibernatePersistenceConfiguration("bench-writers")
            .managedClasses(BenchWrite.class)
            .property("jakarta.persistence.nonJtaDataSource", dataSource)
            .property("hibernate.connection.provider_disables_autocommit", "true")
            .property("hibernate.hbm2ddl.auto", "none")
            // the writers' SessionFactory maps no channel entity; nothing to install or check
            .property(PubSubSettings.SCHEMA_MANAGEMENT, "none");
    if (batchSize > 0) {
      config.property("hibernate.jdbc.batch_size", String.valueOf(batchSize));
    }
    EntityManagerFactory emf = config.createEntityManagerFactory();
    this.sessionFactory = emf.unwrap(SessionFactory.class);
  }

  /** {@code threads} writers, each persisting one entity per transaction. */
  static HibernateWriters onePerTransaction(String jdbcUrl, int threads) {
    return new HibernateWriters("Hibernate", jdbcUrl, threads, 0, false);
  }

  /** One writer persisting every entity in one transaction, with JDBC batches of {@code batchSize}. */
  static HibernateWriters oneTransaction(String jdbcUrl, int batchSize) {
    return new HibernateWriters("Hibernate", jdbcUrl, 1, batchSize, true);
  }

  @Override
  public String name() {
    return label;
  }

  @Override
  public Writers.Result write(int rows) throws Exception {
    return oneTransaction ? inOneTransaction(rows) : onePerTransaction(rows);
  }

  private Writers.Result inOneTransaction(int rows) {
    long start = System.nanoTime();
    try (Session session = sessionFactory.openSession()) {
      Transaction tx = session.beginTransaction();
      for (int seq = 1; seq <= rows; seq++) {
        session.persist(new BenchWrite(seq, 0));
        if (batchSize > 0 && seq % batchSize == 0) {
          session.flush();
          session.clear();
        }
      }
      tx.commit();
    }
    return new Writers.Result(rows, 1, start, System.nanoTime());
  }

  private Writers.Result onePerTransaction(int rows) throws Exception {
    AtomicLong nextSeq = new AtomicLong();
    AtomicLong transactions = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int w = 0; w < threads; w++) {
      int writer = w;
      workers.add(
          new Thread(
              () -> {
                try {
                  for (long seq = nextSeq.incrementAndGet(); seq <= rows && failure.get() == null; seq = nextSeq.incrementAndGet()) {
                    try (Session session = sessionFactory.openSession()) {
                      Transaction tx = session.beginTransaction();
                      session.persist(new BenchWrite(seq, writer));
                      tx.commit();
                    }
                    transactions.incrementAndGet();
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "bench-hibernate-writer-" + w));
    }
    workers.forEach(Thread::start);
    for (Thread t : workers) {
      t.join();
    }
    long end = System.nanoTime();
    if (failure.get() != null) {
      throw new IllegalStateException("a Hibernate writer failed", failure.get());
    }
    return new Writers.Result(transactions.get(), transactions.get(), start, end);
  }

  @Override
  public void close() {
    sessionFactory.close();
    dataSource.close();
  }
}
