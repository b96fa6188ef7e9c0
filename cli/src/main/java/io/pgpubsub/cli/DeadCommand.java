package io.pgpubsub.cli;

import io.pgpubsub.DeadLetter;
import io.pgpubsub.DeadLetters;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "dead",
    mixinStandardHelpOptions = true,
    description = "Lists, retries or purges dead notifications (attempts exhausted, or undecodable).",
    subcommands = {DeadCommand.ListDead.class, DeadCommand.Retry.class, DeadCommand.Purge.class})
final class DeadCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: list, retry or purge");
  }

  /** Which dead notifications a retry or purge applies to: exactly one of the three. */
  static final class Selection {
    @Option(names = "--id", split = ",", description = "Notification id(s), comma separated.")
    List<Long> ids;

    @Option(names = "--channel", description = "Every dead notification of this channel.")
    String channel;

    @Option(names = "--all", description = "Every dead notification of every channel.")
    boolean all;
  }

  static DeadLetters deadLetters(DatabaseOptions db) throws SQLException {
    return DeadLetters.of(db.installedDataSource(), db.schema);
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists dead notifications, oldest first, with their last error.")
  static final class ListDead implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions db;

    @Option(names = "--channel", description = "Only this channel.")
    String channel;

    @Option(names = "--limit", defaultValue = "100", description = "At most this many (default: ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--payload", description = "Also print each stored payload.")
    boolean payload;

    @Option(names = "--stack", description = "Print the whole last error (stack trace), not only its first line.")
    boolean stack;

    @Override
    public Integer call() throws SQLException {
      DeadLetters dead = deadLetters(db);
      List<DeadLetter> letters = channel == null ? dead.list(limit) : dead.list(channel, limit);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%-10s %-24s %8s %-25s %s%n", "ID", "CHANNEL", "ATTEMPTS", "DEAD SINCE", "LAST ERROR");
      for (DeadLetter d : letters) {
        out.printf(
            "%-10d %-24s %8d %-25s %s%n",
            d.id(),
            d.channel(),
            d.attempts(),
            d.deadAt(),
            stack ? d.lastError() : CliException.oneLine(d.lastError()));
        if (payload) {
          out.println("           payload: " + d.payload());
        }
      }
      out.println(letters.size() + " dead notification(s)");
      out.flush();
      return ExitCode.OK;
    }
  }

  /** retry and purge: the same selection, a different action. */
  abstract static class Change implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin DatabaseOptions db;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Selection selection;

    private final boolean retry;
    private final String done;

    Change(boolean retry, String done) {
      this.retry = retry;
      this.done = done;
    }

    @Override
    public Integer call() throws SQLException {
      List<Long> missing = new java.util.ArrayList<>();
      long n = apply(selection, deadLetters(db), retry, missing);
      spec.commandLine().getOut().println(done + " " + n + " notification(s)");
      if (!missing.isEmpty()) {
        throw new CliException(
            ExitCode.NOTHING_MATCHED,
            "no dead notification with id " + missing.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", ")));
      }
      if (n == 0) {
        throw new CliException(
            ExitCode.NOTHING_MATCHED,
            "no dead notification" + (selection.channel != null ? " on channel '" + selection.channel + "'" : "") + ": nothing to " + (retry ? "retry" : "purge"));
      }
      return ExitCode.OK;
    }
  }

  @Command(name = "retry", mixinStandardHelpOptions = true, description = "Makes dead notifications ready again, with a fresh attempt count.")
  static final class Retry extends Change {
    Retry() {
      super(true, "retrying");
    }
  }

  @Command(name = "purge", mixinStandardHelpOptions = true, description = "Deletes dead notifications for good.")
  static final class Purge extends Change {
    Purge() {
      super(false, "purged");
    }
  }

  static long apply(Selection s, DeadLetters dead, boolean retry, List<Long> missing) throws SQLException {
    if (s.ids != null) {
      long n = 0;
      for (long id : s.ids) {
        if (retry ? dead.retry(id) : dead.purge(id)) {
          n++;
        } else {
          missing.add(id);
        }
      }
      return n;
    }
    if (s.all) {
      return retry ? dead.retryAll() : dead.purgeAll();
    }
    return retry ? dead.retryAll(s.channel) : dead.purgeAll(s.channel);
  }
}
