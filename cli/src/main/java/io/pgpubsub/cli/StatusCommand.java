package io.pgpubsub.cli;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
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

  static final class Row {
    long pending;
    long retrying;
    long dead;
    Double oldestSeconds;
    int listeners;
    Double rate;
  }

  @Override
  public Integer call() throws SQLException {
    Map<String, Row> rows = new TreeMap<>();
    try (AppClasspath.Scope scope = app.open()) {
      for (ChannelDefinition c : Registries.channels()) {
        rows.put(c.name(), new Row());
      }
    } catch (IllegalStateException e) {
      throw new CliException(ExitCode.USAGE, CliException.oneLine(e.getMessage()));
    }
    try (Connection c = db.connect()) {
      Checks.requireInstalled(c, db.schema);
      try (PreparedStatement ps =
              c.prepareStatement(
                  "select channel, count(*) filter (where dead_at is null),"
                      + " count(*) filter (where dead_at is null and attempts > 0),"
                      + " count(*) filter (where dead_at is not null),"
                      + " extract(epoch from now() - min(created_at) filter (where dead_at is null))::float8"
                      + " from "
                      + db.schema
                      + ".pgpubsub_notification group by channel");
          ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Row r = rows.computeIfAbsent(rs.getString(1), k -> new Row());
          r.pending = rs.getLong(2);
          r.retrying = rs.getLong(3);
          r.dead = rs.getLong(4);
          double age = rs.getDouble(5);
          r.oldestSeconds = rs.wasNull() ? null : age;
        }
      }
      if (Checks.tableExists(c, db.schema, "pgpubsub_listener_stats")) {
        try (PreparedStatement ps =
                c.prepareStatement(
                    "select channel, count(*), sum(rate_per_second) from "
                        + db.schema
                        + ".pgpubsub_listener_stats where heartbeat_at > now() - interval '30 seconds'"
                        + " group by channel");
            ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            Row r = rows.computeIfAbsent(rs.getString(1), k -> new Row());
            r.listeners = rs.getInt(2);
            r.rate = rs.getDouble(3);
          }
        }
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    String format = "%-32s %10s %10s %10s %12s %10s %12s%n";
    out.printf(format, "CHANNEL", "PENDING", "RETRYING", "DEAD", "OLDEST", "LISTENERS", "RATE/S");
    rows.forEach(
        (name, r) ->
            out.printf(
                format,
                name,
                r.pending,
                r.retrying,
                r.dead,
                r.oldestSeconds == null ? "-" : age(r.oldestSeconds),
                r.listeners,
                r.rate == null ? "-" : String.format("%.1f", r.rate)));
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
