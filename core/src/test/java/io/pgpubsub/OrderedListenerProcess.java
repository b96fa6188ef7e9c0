package io.pgpubsub;

import io.pgpubsub.spi.ChannelDefinition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A listener of the ordered channel {@code ordered_jobs} in its own JVM, for {@link OrderedMultiProcessTest}.
 *
 * <p>Usage: {@code OrderedListenerProcess <jdbcUrl> <workers> <batchSize> <failPercent> [blockKey blockVersion]}.
 * Each callback fails at random ({@code failPercent} of first and second attempts); otherwise it records
 * (key, version, pid) in {@code observed}, and records in {@code overlapping} when another callback of the same
 * key holds the key's test lock at the same time (in any process). With a block key and version, that
 * callback prints {@code BLOCKED} and never returns, in the first process that runs it (table {@code blocked}).
 */
public final class OrderedListenerProcess {

  public record Change(String key, int version) {}

  public static ChannelDefinition channel(ListenerProcess.ListenerProcessCallback callback) {
    return new ChannelDefinition(
        "ordered_jobs", Change.class, false, true, true, null, null, java.util.Set.of(), Change.class.getName(),
        null, List.of(Fixtures.plainListener("OrderedListenerProcess#on", callback::on)), null, true,
        DeadKeyPolicy.MOVE_ON);
  }

  /** True for the one process, of all, that gets to block on this change (committed apart, so a kill keeps it). */
  private static boolean firstToBlock(String url, Change change) throws Exception {
    try (Connection c = java.sql.DriverManager.getConnection(url);
        PreparedStatement ps =
            c.prepareStatement("insert into blocked values (?, ?) on conflict do nothing")) {
      ps.setString(1, change.key());
      ps.setInt(2, change.version());
      return ps.executeUpdate() == 1;
    }
  }

  public static void main(String[] args) throws Exception {
    String url = args[0];
    int workers = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    int failPercent = Integer.parseInt(args[3]);
    String blockKey = args.length > 5 ? args[4] : null;
    int blockVersion = args.length > 5 ? Integer.parseInt(args[5]) : -1;
    long pid = ProcessHandle.current().pid();
    ChannelDefinition channel =
        channel((t, inv) -> {
          Change change = inv.newValue(Change.class);
          Connection c = inv.resource(Connection.class);
          // held until this callback's transaction ends: another process or worker running a callback of the
          // same key meanwhile would not get it
          try (PreparedStatement ps =
              c.prepareStatement("select pg_try_advisory_xact_lock(hashtext(?), hashtext(? || '/check'))")) {
            ps.setString(1, change.key());
            ps.setString(2, change.key());
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              if (!rs.getBoolean(1)) {
                try (PreparedStatement o = c.prepareStatement("insert into overlapping values (?, ?)")) {
                  o.setString(1, change.key());
                  o.setInt(2, change.version());
                  o.executeUpdate();
                }
              }
            }
          }
          if (change.key().equals(blockKey) && change.version() == blockVersion && firstToBlock(url, change)) {
            System.out.println("BLOCKED " + change);
            System.out.flush();
            while (true) {
              LockSupport.park();
            }
          }
          if (inv.delivery().attempt() <= 2 && ThreadLocalRandom.current().nextInt(100) < failPercent) {
            throw new IllegalStateException("random failure of " + change);
          }
          try (PreparedStatement ps = c.prepareStatement("insert into observed(key, version, pid) values (?, ?, ?)")) {
            ps.setString(1, change.key());
            ps.setInt(2, change.version());
            ps.setLong(3, pid);
            ps.executeUpdate();
          }
        });
    Listener listener =
        Listener.builder()
            .name("ordered-" + pid)
            .jdbcUrl(url)
            .channelDefinitions(List.of(channel))
            .workers(workers)
            .batchSize(batch)
            .pollInterval(Duration.ofMillis(200)) // a killed session's locks go when PostgreSQL notices
            .retryPolicy(RetryPolicy.exponential(10, Duration.ofMillis(5), Duration.ofMillis(50)))
            .reconnectDelay(Duration.ofMillis(50), Duration.ofSeconds(1))
            .build();
    Runtime.getRuntime().addShutdownHook(new Thread(listener::close, "stop-listener"));
    listener.start();
    System.out.println("STARTED " + pid);
    System.out.flush();
    while (true) {
      LockSupport.park();
    }
  }
}
