package io.pgpubsub.samples;

import io.pgpubsub.NotificationTable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

/** The demo: every step prints what it does and checks what it claims. */
public final class Demo {

  public static void main(String[] args) throws Exception {
    try (DemoDatabase db = DemoDatabase.open(args)) {
      System.out.println(
          "1. PostgreSQL: " + (db.embedded() ? "embedded, started for this run" : "given") + " at " + db.jdbcUrl());
      try (Connection c = DriverManager.getConnection(db.jdbcUrl());
          Statement s = c.createStatement()) {
        NotificationTable.install(c, NotificationTable.DEFAULT_SCHEMA);
        System.out.println("2. installed the notification table (idempotent DDL)");
        try (ResultSet rs = s.executeQuery("select count(*) from pgpubsub_notification")) {
          rs.next();
          System.out.println("3. notifications waiting: " + rs.getLong(1));
        }
      }
    }
    System.out.println("demo finished");
  }
}
