package io.pgpubsub.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** What a LISTEN connection received, read up to a marker NOTIFY so that a test knows it has seen everything. */
public final class Notifications {

  /** The marker channel; {@link #listen} listens on it too. */
  public static final String MARKER = "marker";

  private Notifications() {}

  /** LISTENs on {@code channel} and on the marker. */
  public static void listen(Connection c, String channel) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("LISTEN \"" + channel + "\"");
      s.execute("LISTEN \"" + MARKER + "\"");
    }
  }

  /**
   * Payloads received on {@code channel} until a marker NOTIFY, which {@code sender} commits (in autocommit) after
   * everything under test, arrives: notifications are delivered in commit order, so nothing under test can
   * come later. Fails after 30 s without the marker.
   */
  public static List<String> payloadsBeforeMarker(Connection listening, Connection sender, String channel)
      throws SQLException {
    boolean auto = sender.getAutoCommit();
    sender.setAutoCommit(true);
    try (Statement s = sender.createStatement()) {
      s.execute("NOTIFY \"" + MARKER + "\"");
    }
    sender.setAutoCommit(auto);
    List<String> payloads = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    PGConnection pg = listening.unwrap(PGConnection.class);
    while (System.nanoTime() < deadline) {
      PGNotification[] batch = pg.getNotifications(1000);
      for (PGNotification n : batch == null ? new PGNotification[0] : batch) {
        if (n.getName().equals(MARKER)) {
          return payloads;
        }
        if (n.getName().equals(channel)) {
          payloads.add(n.getParameter());
        }
      }
    }
    throw new AssertionError("the marker notification did not arrive in 30 s; got " + payloads);
  }
}
