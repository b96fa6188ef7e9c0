package io.pgpubsub.cli;

import io.pgpubsub.ChannelStatus;
import io.pgpubsub.ChannelStatusReader;
import io.pgpubsub.StreamStatus;
import io.pgpubsub.Streams;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.io.PrintWriter;
import java.sql.Connection;
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
          + " consumer's position and lag (events after it)."
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
    printWalSlots(out);
    out.flush();
    return ExitCode.OK;
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
