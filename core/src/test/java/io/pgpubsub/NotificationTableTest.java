package io.pgpubsub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

@PostgresTest
class NotificationTableTest {

  @Test
  void installIsIdempotentAndCreatesTheContract(TestDatabase db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      NotificationTable.install(c, "public");
      NotificationTable.install(c, "public");
      s.execute("insert into pgpubsub_notification(channel, payload) values ('media', '{\"op\":\"INSERT\"}')");
      try (ResultSet rs =
          s.executeQuery(
              "select id, attempts, next_attempt_at, dead_at, created_at <= now() from pgpubsub_notification")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isPositive();
        assertThat(rs.getInt(2)).isZero();
        assertThat(rs.getObject(3)).isNull();
        assertThat(rs.getObject(4)).isNull();
        assertThat(rs.getBoolean(5)).isTrue();
      }
      try (ResultSet rs =
          s.executeQuery(
              "select count(*) from pg_indexes where tablename = 'pgpubsub_notification'")) {
        rs.next();
        assertThat(rs.getInt(1)).as("primary key + ready + dead + ordered indexes, created once").isEqualTo(4);
      }
    }
  }

  @Test
  void aTableCreatedBeforeOrderedChannelsGetsTheOrderKeyColumnAndKeepsItsRows(TestDatabase db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("create schema old");
      // the table as versions before ordered channels created it
      s.execute(
          "create table old.pgpubsub_notification (id bigint generated always as identity primary key,"
              + " channel text not null, payload jsonb not null, created_at timestamptz not null default now(),"
              + " attempts integer not null default 0, next_attempt_at timestamptz, last_error text,"
              + " dead_at timestamptz)");
      s.execute("insert into old.pgpubsub_notification(channel, payload) values ('media', '{}')");
      NotificationTable.install(c, "old");
      NotificationTable.install(c, "old");
      try (ResultSet rs = s.executeQuery("select count(*), count(order_key) from old.pgpubsub_notification")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(1);
        assertThat(rs.getInt(2)).as("the existing row has no key").isZero();
      }
      try (ResultSet rs =
          s.executeQuery(
              "select count(*) from pg_indexes where schemaname = 'old' and indexname = 'pgpubsub_notification_ordered'")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(1);
      }
    }
  }

  @Test
  void otherSchemasWorkAndHostileSchemaNamesAreQuoted(TestDatabase db) throws Exception {
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("create schema events");
      NotificationTable.install(c, "events");
      try (ResultSet rs = s.executeQuery("select count(*) from events.pgpubsub_notification")) {
        rs.next();
        assertThat(rs.getInt(1)).isZero();
      }
    }
    String hostile = "x\"; drop table t; --";
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      s.execute("create table t (id int)");
      s.execute("create schema \"x\"\"; drop table t; --\"");
      NotificationTable.install(c, hostile);
      try (ResultSet rs =
          s.executeQuery(
              "select count(*) from \"x\"\"; drop table t; --\".pgpubsub_notification, t"
                  + " where to_regclass('public.t') is not null")) {
        rs.next();
        assertThat(rs.getInt(1)).as("the table was created in the oddly named schema; t still exists").isZero();
      }
    }
    assertThatThrownBy(() -> NotificationTable.ddl("a\0b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid schema 'a\\u0000b': it contains a NUL character");
  }
}
