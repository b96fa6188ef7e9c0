package io.pgpubsub.cli;

import io.pgpubsub.ChannelControl;
import io.pgpubsub.ChannelStatus;
import io.pgpubsub.ChannelStatusReader;
import io.pgpubsub.StreamStatus;
import io.pgpubsub.Streams;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Shows per channel what waits, what is dead, and who listens.",
      "Columns: notifications pending (ready or waiting for a retry), retrying, dead, the age of the oldest"
          + " pending one, the listener processes seen in the last 30 s and their rate. Channels come from the"
          + " table and from the class path (--classpath). Then, when streams are installed, per stream the events"
          + " stored, the age of the oldest, the tail position and retention's watermark, and each named"
          + " consumer's position and lag (events after it). Then the listener processes (workers, busy, uptime,"
          + " version) and the paused channels."
    })
final class StatusCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin AppClasspath app;

  @Mixin DatabaseOptions db;

  @Override
  public Integer call() throws SQLException {
    List<String> known = new ArrayList<>();
    try (AppClasspath.Scope scope = app.open()) {
      for (ChannelDefinition c : Registries.channels()) {
        known.add(c.name());
      }
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.USAGE, CliException.oneLine(e.getMessage()));
    }
    List<ChannelStatus> statuses = ChannelStatusReader.of(db.installedDataSource(), db.schema).read(known);
    PrintWriter out = spec.commandLine().getOut();
    String format = "%-32s %10s %10s %10s %12s %10s %12s%n";
    out.printf(format, "CHANNEL", "PENDING", "RETRYING", "DEAD", "OLDEST", "LISTENERS", "RATE/S");
    for (ChannelStatus s : statuses) {
      out.printf(
          format,
          s.channel(),
          s.pending(),
          s.retrying(),
          s.dead(),
          s.oldestPending() == null ? "-" : age(s.oldestPending().toMillis() / 1000.0),
          s.listeners().size(),
          s.listeners().isEmpty() ? "-" : String.format("%.1f", s.ratePerSecond()));
    }
    if (statuses.stream().anyMatch(s -> s.keys() != null)) {
      // ordered channels: keys held back by a retry, keys with a dead notification (blocked with BLOCK)
      String keys = "%-32s %10s %10s %10s %12s  %s%n";
      out.printf("%n" + keys, "ORDERED CHANNEL", "KEYS", "RETRYING", "DEAD", "OLDEST", "OLDEST KEY");
      for (ChannelStatus s : statuses) {
        if (s.keys() != null) {
          out.printf(
              keys,
              s.channel(),
              s.keys().waiting(),
              s.keys().retrying(),
              s.keys().dead(),
              s.keys().oldestKeyAge() == null ? "-" : age(s.keys().oldestKeyAge().toMillis() / 1000.0),
              s.keys().oldestKey() == null ? "-" : s.keys().oldestKey());
        }
      }
    }
    printStreams(out);
    printProcesses(out);
    printWalSlots(out);
    out.flush();
    return ExitCode.OK;
  }

  /**
   * Listener processes seen in the last 30 s (the {@code pid@host} of their listeners' names): their listener
   * instances, workers and busy workers at the last heartbeat, uptime and version (blank for listeners of an
   * older version); then the paused channels ({@link ChannelControl}). Nothing when there are none.
   */
  private void printProcesses(PrintWriter out) throws SQLException {
    String stats = io.pgpubsub.internal.SchemaNames.table(db.schema, "pgpubsub_listener_stats");
    try (Connection c = db.installedDataSource().getConnection()) {
      boolean columns;
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT EXISTS (SELECT FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(?)"
                  + " AND attname = 'busy_workers' AND attnum > 0 AND NOT attisdropped)")) {
        ps.setString(1, stats);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          columns = rs.getBoolean(1);
        }
      }
      if (columns) {
        String format = "%-40s %10s %8s %6s %10s  %s%n";
        boolean header = false;
        try (PreparedStatement ps =
            c.prepareStatement(
                "SELECT substr(listener, strpos(listener, '@') + 1), count(*), sum(workers), sum(busy_workers),"
                    + " extract(epoch FROM now() - min(process_started_at))::float8, max(version)"
                    + " FROM (SELECT DISTINCT ON (listener) listener, workers, busy_workers, process_started_at,"
                    + " version FROM "
                    + stats
                    + " WHERE heartbeat_at > now() - interval '30 seconds' ORDER BY listener, heartbeat_at DESC) l"
                    + " GROUP BY 1 ORDER BY 1");
            ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            if (!header) {
              out.printf("%n" + format, "PROCESS", "LISTENERS", "WORKERS", "BUSY", "UPTIME", "VERSION");
              header = true;
            }
            double uptime = rs.getDouble(5);
            boolean noUptime = rs.wasNull();
            out.printf(
                format,
                rs.getString(1),
                rs.getLong(2),
                rs.getObject(3) == null ? "-" : rs.getString(3),
                rs.getObject(4) == null ? "-" : rs.getString(4),
                noUptime ? "-" : age(uptime),
                rs.getString(6) == null ? "-" : rs.getString(6));
          }
        }
      }
      List<ChannelControl.Pause> paused = ChannelControl.paused(c, db.schema);
      if (!paused.isEmpty()) {
        String format = "%-32s %-24s %s%n";
        out.printf("%n" + format, "PAUSED CHANNEL", "SINCE", "BY");
        for (ChannelControl.Pause p : paused) {
          out.printf(format, p.channel(), p.pausedAt(), p.pausedBy() == null ? "-" : p.pausedBy());
        }
      }
    }
  }

  /** Streams (docs/streams.md): events stored, tail, retention's watermark; each named consumer's position and lag. */
  private void printStreams(PrintWriter out) throws SQLException {
    List<StreamStatus> streams;
    try (Connection c = db.installedDataSource().getConnection()) {
      streams = Streams.create(db.schema).status(c);
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return; // streams not installed
      }
      throw e;
    }
    if (streams.isEmpty()) {
      return;
    }
    String format = "%-32s %10s %12s %24s %24s%n";
    out.printf("%n" + format, "STREAM", "EVENTS", "OLDEST", "TAIL", "PRUNED UP TO");
    for (StreamStatus s : streams) {
      out.printf(
          format,
          s.stream(),
          s.events(),
          s.oldestAt() == null ? "-" : age(Duration.between(s.oldestAt(), Instant.now()).toMillis() / 1000.0),
          s.tail(),
          s.prunedUpTo() == null ? "-" : s.prunedUpTo());
    }
    String consumers = "%-32s %-24s %24s %10s %12s%n";
    if (streams.stream().anyMatch(s -> !s.consumers().isEmpty())) {
      out.printf("%n" + consumers, "STREAM", "CONSUMER", "POSITION", "LAG", "UPDATED");
      for (StreamStatus s : streams) {
        for (StreamStatus.Consumer k : s.consumers()) {
          out.printf(
              consumers,
              s.stream(),
              k.consumer(),
              k.pruned() ? k.position() + " (pruned)" : k.position().toString(),
              k.lag(),
              age(Duration.between(k.updatedAt(), Instant.now()).toMillis() / 1000.0));
        }
      }
    }
    printDeclaredRetention(out);
  }

  /** The retention each stream channel of the application's registry declares (@TriggerChannel(retain, retainCount)). */
  private static void printDeclaredRetention(PrintWriter out) {
    List<io.pgpubsub.spi.ChannelDefinition> declared;
    try {
      declared = io.pgpubsub.spi.Registries.channels().stream().filter(io.pgpubsub.spi.ChannelDefinition::isStream).toList();
    } catch (RuntimeException | LinkageError e) {
      return; // no registry on the class path
    }
    if (declared.isEmpty()) {
      return;
    }
    String format = "%-32s %-16s %12s%n";
    out.printf("%n" + format, "STREAM CHANNEL", "RETAIN", "RETAIN COUNT");
    for (io.pgpubsub.spi.ChannelDefinition c : declared) {
      out.printf(
          format,
          c.name(),
          c.stream().retain() == null ? "-" : c.stream().retain().toString(),
          c.stream().retainCount() == 0 ? "-" : Long.toString(c.stream().retainCount()));
    }
  }

  /** Slots of the WAL transport (docs/wal-transport.md): activity, retained WAL, lag, wal_status. */
  private void printWalSlots(PrintWriter out) throws SQLException {
    List<io.pgpubsub.WalStatus> slots = new java.util.ArrayList<>();
    try (Connection c = db.installedDataSource().getConnection();
        java.sql.Statement s = c.createStatement();
        java.sql.ResultSet rs =
            s.executeQuery("SELECT slot FROM " + io.pgpubsub.internal.SchemaNames.table(db.schema, "pgpubsub_wal_slot") + " ORDER BY slot")) {
      List<String> names = new java.util.ArrayList<>();
      while (rs.next()) {
        names.add(rs.getString(1));
      }
      for (String name : names) {
        slots.add(io.pgpubsub.WalTransport.status(c, name));
      }
    } catch (SQLException e) {
      if ("42P01".equals(e.getSQLState())) {
        return; // the WAL transport was never used here
      }
      throw e;
    }
    if (slots.isEmpty()) {
      return;
    }
    String format = "%-32s %-8s %16s %16s %-12s%n";
    out.printf("%n" + format, "WAL SLOT", "ACTIVE", "RETAINED BYTES", "LAG BYTES", "WAL STATUS");
    for (io.pgpubsub.WalStatus w : slots) {
      out.printf(
          format,
          w.slot(),
          w.exists() ? String.valueOf(w.active()) : "-",
          w.exists() ? String.valueOf(w.retainedBytes()) : "-",
          w.exists() ? String.valueOf(w.lagBytes()) : "-",
          w.exists() ? w.walStatus() : "DROPPED (see docs/wal-transport.md: resynchronise)");
    }
  }

  static String age(double seconds) {
    if (seconds < 120) {
      return String.format("%.1fs", seconds);
    }
    if (seconds < 7200) {
      return String.format("%.1fm", seconds / 60);
    }
    return String.format("%.1fh", seconds / 3600);
  }
}
