package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.DeadLetter;
import io.pgpubsub.Listener;
import io.pgpubsub.RetryPolicy;
import io.pgpubsub.hibernate.model.Ledger;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hibernate.SessionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Session/EntityManager a callback receives shares the listener's transaction: controlling that
 * transaction through it is refused, and a callback that swallows a failed flush has failed.
 */
@PostgresTest
@Timeout(120)
class SessionGuardTest {

  private static long count(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void transactionControlThroughTheSessionIsRefusedAndASwallowedFlushErrorFailsTheCallback(TestDatabase db)
      throws Exception {
    // what each action's callback must fail with
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("commit", "must not call Session.getTransaction().commit()");
    expected.put("rollback", "must not call Session.getTransaction().rollback()");
    expected.put("begin", "must not call Session.getTransaction().begin()");
    expected.put("setRollbackOnly", "must not call Session.getTransaction().setRollbackOnly()");
    expected.put("beginTransaction", "must not call Session.beginTransaction()");
    expected.put("close", "must not call Session.close()");
    expected.put("em-begin", "must not call Session.getTransaction().begin()");
    expected.put("em-commit", "must not call Session.getTransaction().commit()");
    expected.put("unwrap-commit", "must not call Session.getTransaction().commit()");
    expected.put("work-autocommit", "must not call Connection.setAutoCommit()");
    expected.put("work-commit", "must not call Connection.commit()");
    expected.put("work-rollback", "must not call Connection.rollback()");
    expected.put("duplicate", "SQL state 23505");

    SessionFactory sf = TestHibernate.build(db, Map.of(), Ledger.class);
    db.execute("create table ledger_effect(id bigint primary key, attempt int)");
    LedgerListener callbacks = new LedgerListener();
    try (Listener listener =
        HibernatePubSub.listener(sf)
            .listenerFactory(type -> callbacks)
            .retryPolicy(RetryPolicy.noRetries())
            .workers(1)
            .build()
            .start()) {
      sf.inTransaction(s -> {
        s.persist(new Ledger(1L, "ok"));
        long id = 2;
        for (String action : expected.keySet()) {
          s.persist(new Ledger(id++, action));
        }
      });
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (listener.deadLetters().count("ledger") < expected.size()
          || count(db, "select count(*) from pgpubsub_notification where dead_at is null") > 0) {
        assertThat(System.nanoTime() - deadline).as("all processed or dead in time").isNegative();
        Thread.sleep(20);
      }
      List<DeadLetter> dead = listener.deadLetters().list("ledger", 100);
      assertThat(dead).hasSize(expected.size());
      long id = 2;
      for (Map.Entry<String, String> e : expected.entrySet()) {
        long ledger = id++;
        DeadLetter letter =
            dead.stream().filter(d -> d.payload().contains("\"id\": " + ledger + ",")).findFirst().orElseThrow();
        assertThat(letter.lastError()).as(e.getKey()).contains(e.getValue());
        assertThat(letter.attempts()).as(e.getKey()).isEqualTo(1);
      }
      assertThat(dead.stream().filter(d -> d.payload().contains("\"action\": \"duplicate\"")).findFirst().orElseThrow().lastError())
          .contains("LedgerListener#inserted")
          .contains("returned normally but left the transaction")
          .contains("duplicate key value violates unique constraint");
    } finally {
      sf.close();
    }
    // only the well-behaved callback's work committed, once; nothing committed early
    assertThat(count(db, "select count(*) from ledger_effect")).isEqualTo(1);
    assertThat(count(db, "select id from ledger_effect")).isEqualTo(1);
    assertThat(count(db, "select count(*) from ledger where id > 1000")).isZero();
  }
}
