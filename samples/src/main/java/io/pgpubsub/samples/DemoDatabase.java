package io.pgpubsub.samples;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;

/**
 * The demo's PostgreSQL: the JDBC URL in {@code PGPUBSUB_JDBC_URL} (or {@code --jdbc-url=...}) when given,
 * otherwise an embedded PostgreSQL 17 started for the run and stopped at its end.
 */
final class DemoDatabase implements AutoCloseable {

  static final String URL_ENV = "PGPUBSUB_JDBC_URL";

  private final EmbeddedPostgres embedded;
  private final String jdbcUrl;

  private DemoDatabase(EmbeddedPostgres embedded, String jdbcUrl) {
    this.embedded = embedded;
    this.jdbcUrl = jdbcUrl;
  }

  static DemoDatabase open(String[] args) throws IOException {
    String url = System.getenv(URL_ENV);
    for (String a : args) {
      if (a.startsWith("--jdbc-url=")) {
        url = a.substring("--jdbc-url=".length());
      }
    }
    if (url != null && !url.isBlank()) {
      return new DemoDatabase(null, url);
    }
    EmbeddedPostgres pg = EmbeddedPostgres.builder().start();
    return new DemoDatabase(pg, pg.getJdbcUrl("postgres", "postgres"));
  }

  String jdbcUrl() {
    return jdbcUrl;
  }

  boolean embedded() {
    return embedded != null;
  }

  @Override
  public void close() throws IOException {
    if (embedded != null) {
      embedded.close();
    }
  }
}
