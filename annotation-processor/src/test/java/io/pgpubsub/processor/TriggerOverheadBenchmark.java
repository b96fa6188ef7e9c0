package io.pgpubsub.processor;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Write throughput with and without a generated lockable trigger. Not part of the normal build (it measures,
 * it does not check): {@code -Dpgpubsub.bench=true -Dtest=TriggerOverheadBenchmark}.
 */
@PostgresTest
@EnabledIfSystemProperty(named = "pgpubsub.bench", matches = "true")
class TriggerOverheadBenchmark {

  private static final int SINGLE_ROWS = 3000;
  private static final int TX_ROWS = 10_000;
  private static final int ROUNDS = 5;

  @Test
  void measure(TestDatabase db) throws Exception {
    String install = Fixtures.generated(Fixtures.compileOk("good/bench"), "META-INF/pgpubsub.sql");
    db.execute(
        "CREATE TABLE event (id bigint PRIMARY KEY, title text, status text, createdat timestamptz);"
            + "CREATE TABLE plain_event (LIKE event INCLUDING ALL)");
    db.execute(install);
    try (Connection c = db.connect()) {
      long id = 0;
      double[] single = new double[2];
      double[] tx = new double[2];
      double[] setBased = new double[2];
      for (int round = 0; round <= ROUNDS; round++) {
        for (int t = 0; t < 2; t++) {
          String table = t == 0 ? "plain_event" : "event";
          c.setAutoCommit(true);
          long start = System.nanoTime();
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, 'new', now())")) {
            for (int i = 0; i < SINGLE_ROWS; i++) {
              ps.setLong(1, ++id);
              ps.setString(2, "title " + id);
              ps.executeUpdate();
            }
          }
          double singleRate = SINGLE_ROWS / ((System.nanoTime() - start) / 1e9);

          c.setAutoCommit(false);
          start = System.nanoTime();
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, 'new', now())")) {
            for (int i = 0; i < TX_ROWS; i++) {
              ps.setLong(1, ++id);
              ps.setString(2, "title " + id);
              ps.addBatch();
            }
            ps.executeBatch();
          }
          c.commit();
          double txRate = TX_ROWS / ((System.nanoTime() - start) / 1e9);

          start = System.nanoTime();
          try (Statement s = c.createStatement()) {
            s.execute(
                "INSERT INTO " + table + " SELECT g, 'title ' || g, 'new', now() FROM generate_series("
                    + (id + 1) + ", " + (id + TX_ROWS) + ") g");
          }
          c.commit();
          id += TX_ROWS;
          double setRate = TX_ROWS / ((System.nanoTime() - start) / 1e9);
          if (round > 0) { // round 0 warms up
            single[t] += singleRate / ROUNDS;
            tx[t] += txRate / ROUNDS;
            setBased[t] += setRate / ROUNDS;
          }
        }
        try (Statement s = c.createStatement()) {
          s.execute("DELETE FROM pgpubsub_notification");
        }
        c.commit();
      }
      System.out.printf(
          Locale.ROOT,
          "trigger overhead on %s%n"
              + "  single-row autocommit inserts: %.0f rows/s without, %.0f with trigger: %.2fx%n"
              + "  10,000-row transaction (JDBC batch): %.0f rows/s without, %.0f with: %.2fx%n"
              + "  10,000-row transaction (one INSERT ... SELECT): %.0f rows/s without, %.0f with: %.2fx%n",
          db,
          single[0], single[1], single[1] / single[0],
          tx[0], tx[1], tx[1] / tx[0],
          setBased[0], setBased[1], setBased[1] / setBased[0]);
    }
  }
}
