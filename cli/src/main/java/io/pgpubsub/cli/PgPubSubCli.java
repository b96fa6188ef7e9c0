package io.pgpubsub.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code pgpubsub} command. Run it with your application's class path (so that it finds your channels'
 * generated registry and your entities):
 *
 * <pre>java -cp "app.jar:libs/*" io.pgpubsub.cli.PgPubSubCli listen --jdbc-url=jdbc:postgresql://db/app</pre>
 */
@Command(
    name = "pgpubsub",
    mixinStandardHelpOptions = true,
    versionProvider = PgPubSubCli.Version.class,
    description = "PostgreSQL as an event bus for Hibernate: listen, install, status, dead letters.",
    subcommands = {
      ListenCommand.class,
      InstallCommand.class,
      StatusCommand.class,
      DeadCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Exit codes: 0 ok, 1 unexpected error, 2 bad arguments, 3 database unreachable or credentials refused,",
      "4 notification table missing (run 'install --apply')."
    })
public final class PgPubSubCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: listen, install, status or dead");
  }

  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line and returns its exit code (used by the tests to drive the CLI in-process). */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new PgPubSubCli());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof CliException) {
            err.println("pgpubsub: " + e.getMessage());
            return ((CliException) e).exitCode;
          }
          err.println("pgpubsub: " + e.getClass().getSimpleName() + ": " + CliException.oneLine(e.getMessage()));
          return ExitCode.FAILURE;
        });
    return cli.execute(args);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = PgPubSubCli.class.getPackage().getImplementationVersion();
      return new String[] {"pgpubsub " + (v == null ? "(development build)" : v)};
    }
  }
}
