package io.pgpubsub.cli;

import io.pgpubsub.ChannelStatus;
import io.pgpubsub.ChannelStatusReader;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.io.PrintWriter;
import java.sql.SQLException;
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
          + " table and from the class path (--classpath)."
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
    out.flush();
    return ExitCode.OK;
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
