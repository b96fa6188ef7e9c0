package io.pgpubsub.benchmarks;

/** One way of processing the channel's notifications: the library, or the plain-JDBC baseline. */
interface Consumer extends AutoCloseable {

  /** Starts LISTENing and processing (recovering what is already stored). Returns once it runs. */
  void start() throws Exception;

  /** Stops and releases everything. */
  @Override
  void close();

  /** Which implementation a run measures. */
  enum Impl {
    /** The library as a Hibernate application runs it: HibernatePubSub.listener(sessionFactory). */
    LIBRARY_HIBERNATE("library-hibernate", true),
    /** The library's core Listener alone, with its default (Jackson) row decoder, no Hibernate. */
    LIBRARY_CORE("library-core", true),
    /** The plain-JDBC baseline. */
    BASELINE("baseline", false);

    final String id;
    final boolean library;

    Impl(String id, boolean library) {
      this.id = id;
      this.library = library;
    }

    static Impl of(String id) {
      for (Impl i : values()) {
        if (i.id.equals(id)) {
          return i;
        }
      }
      throw new IllegalArgumentException("unknown implementation '" + id + "'");
    }

    Consumer create(String jdbcUrl, Recorder recorder, int workers, int batchSize) {
      switch (this) {
        case LIBRARY_HIBERNATE:
          return new HibernateConsumer(jdbcUrl, recorder, workers, batchSize);
        case LIBRARY_CORE:
          return new LibraryConsumer(jdbcUrl, recorder, workers, batchSize);
        default:
          return new JdbcBaseline(jdbcUrl, new BenchListeners(recorder), workers, batchSize);
      }
    }

    @Override
    public String toString() {
      return id;
    }
  }
}
