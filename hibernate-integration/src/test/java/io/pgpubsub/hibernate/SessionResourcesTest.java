package io.pgpubsub.hibernate;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.hibernate.internal.SessionResources;
import io.pgpubsub.hibernate.model.Author;
import io.pgpubsub.spi.TransactionResources;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import jakarta.persistence.EntityManager;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.Map;
import org.hibernate.Session;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;
import org.hibernate.engine.spi.SessionFactoryImplementor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The Session handed to callbacks writes in the worker's transaction, and only there. */
@PostgresTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionResourcesTest {

  private TestDatabase db;
  private SessionFactory sf;
  private TransactionResources resources;

  @BeforeAll
  void boot(TestDatabase db) {
    this.db = db;
    sf = TestHibernate.build(db, Map.of(), Author.class);
    db.execute("CREATE TABLE marker (id int primary key)");
    resources = new SessionResources(sf.unwrap(SessionFactoryImplementor.class));
  }

  @AfterAll
  void close() {
    sf.close();
  }

  @BeforeEach
  void clean() {
    db.execute("DELETE FROM author; DELETE FROM marker");
  }

  private long count(String table) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select count(*) from " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static long txid(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("select txid_current()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void writesCommitWithTheWorkersTransaction() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      long tx = txid(c);
      c.createStatement().execute("INSERT INTO marker VALUES (1)");
      try (TransactionResources.Scope scope = resources.open(c)) {
        Session session = scope.get(Session.class);
        assertThat(scope.get(EntityManager.class)).isSameAs(session);
        assertThat(scope.get(Object.class)).isNull();
        assertThat(scope.get(AutoCloseable.class)).isNull();
        session.persist(new Author(1L, "Ada"));
        // a query flushes (AUTO) and sees the write, inside the same transaction
        assertThat(session.createSelectionQuery("from Author", Author.class).getResultList()).hasSize(1);
        session.persist(new Author(2L, "Grace"));
        scope.beforeCompletion();
      }
      assertThat(c.isClosed()).isFalse();
      assertThat(c.getAutoCommit()).isFalse();
      assertThat(txid(c)).as("still the worker's transaction").isEqualTo(tx);
      assertThat(count("author")).as("nothing visible before the worker commits").isZero();
      c.commit();
    }
    assertThat(count("author")).isEqualTo(2);
    assertThat(count("marker")).isEqualTo(1);
  }

  @Test
  void writesRollBackWithTheWorkersTransaction() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      c.createStatement().execute("INSERT INTO marker VALUES (1)");
      try (TransactionResources.Scope scope = resources.open(c)) {
        scope.get(Session.class).persist(new Author(3L, "Linus"));
        scope.beforeCompletion();
      }
      c.rollback();
    }
    assertThat(count("author")).isZero();
    assertThat(count("marker")).isZero();
  }

  @Test
  void aFailingCallbackIsUndoneByTheSavepointAndNeverFlushed() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      c.createStatement().execute("INSERT INTO marker VALUES (1)");
      Savepoint sp = c.setSavepoint();
      try (TransactionResources.Scope scope = resources.open(c)) {
        Session session = scope.get(Session.class);
        session.persist(new Author(4L, "flushed, then undone"));
        session.flush();
        session.persist(new Author(5L, "never flushed"));
        // the callback threw: the runtime skips beforeCompletion and closes the scope
      }
      c.rollback(sp);
      c.commit();
    }
    assertThat(count("author")).isZero();
    assertThat(count("marker")).isEqualTo(1);
  }

  @Test
  void statelessSessionSharesTheTransactionToo() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      try (TransactionResources.Scope scope = resources.open(c)) {
        scope.get(StatelessSession.class).insert(new Author(6L, "stateless"));
        scope.beforeCompletion();
      }
      assertThat(count("author")).isZero();
      c.commit();
    }
    assertThat(count("author")).isEqualTo(1);
  }

  @Test
  void noSessionIsOpenedWhenNoneIsAskedFor() throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      TransactionResources.Scope scope = resources.open(c);
      scope.beforeCompletion();
      scope.close();
      scope.close(); // idempotent
      assertThat(c.getAutoCommit()).isFalse();
      c.rollback();
    }
  }
}
