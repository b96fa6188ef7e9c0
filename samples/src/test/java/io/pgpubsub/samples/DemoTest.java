package io.pgpubsub.samples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

@PostgresTest
@TestMethodOrder(MethodOrderer.MethodName.class)
@Timeout(300)
class DemoTest {

  @Test
  void demoRunsEndToEndOnTheGivenDatabase(TestDatabase db) throws Exception {
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Demo.run(new String[] {"--jdbc-url=" + db.jdbcUrlWithCredentials()});
    } finally {
      System.setOut(out);
    }
    String printed = captured.toString(StandardCharsets.UTF_8);
    assertThat(printed)
        .contains("ok: 3 notifications are stored, waiting")
        .contains("ok: successful scan callbacks (1004) = scan results: nothing was processed twice")
        .contains("ok: the dead letter keeps its attempts and error")
        .contains("demo finished")
        .contains("on database pgpubsub_demo (created for this run, dropped at its end)")
        .contains("dropped database pgpubsub_demo: the demo left nothing behind")
        .doesNotContain("DEMO FAILED");
    assertThat(databaseExists(db, "pgpubsub_demo")).as("the demo removed what it installed").isFalse();
    assertThat(count(db, "select count(*) from pg_tables where tablename in ('media', 'pgpubsub_notification')"))
        .as("the database the URL names is untouched")
        .isZero();
  }

  @Test
  void demoRefusesADatabaseItDidNotCreate(TestDatabase db) throws Exception {
    try (Connection admin = db.server().connectAdmin();
        Statement s = admin.createStatement()) {
      s.execute("CREATE DATABASE pgpubsub_demo");
    }
    try {
      String theirs = db.jdbcUrlWithCredentials().replace("/" + db.name(), "/pgpubsub_demo");
      try (Connection c = DriverManager.getConnection(theirs);
          Statement s = c.createStatement()) {
        s.execute("create table media(id bigint primary key); insert into media values (1)");
      }
      assertThatThrownBy(() -> Demo.run(new String[] {"--jdbc-url=" + db.jdbcUrlWithCredentials()}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("database pgpubsub_demo already exists on this server and the demo did not create it")
          .hasMessageContaining("refuses to use or drop it");
      try (Connection c = DriverManager.getConnection(theirs);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("select count(*) from media")) {
        rs.next();
        assertThat(rs.getLong(1)).as("their table and row are untouched").isOne();
      }
    } finally {
      try (Connection admin = db.server().connectAdmin();
          Statement s = admin.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS pgpubsub_demo WITH (FORCE)");
      }
    }
  }

  static boolean databaseExists(TestDatabase db, String name) throws Exception {
    try (Connection admin = db.server().connectAdmin();
        PreparedStatement ps = admin.prepareStatement("select count(*) from pg_database where datname = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1) > 0;
      }
    }
  }

  static long count(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
