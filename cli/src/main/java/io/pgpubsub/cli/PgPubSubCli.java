package io.pgpubsub.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code pgpubsub} command. The distribution's {@code bin/pgpubsub} runs it; your application's classes
 * (its generated channel registry, entities and listener classes) come in with {@code --classpath} or {@code
 * PGPUBSUB_CLASSPATH}:
 *
 * <pre>pgpubsub listen --classpath "target/classes:target/lib/*" --jdbc-url=jdbc:postgresql://db/app</pre>
 */
@Command(
    name = "pgpubsub",
    mixinStandardHelpOptions = true,
    versionProvider = PgPubSubCli.Version.class,
    description = "PostgreSQL as an event bus for Hibernate: listen, relay, install, status, dead letters.",
    subcommands = {
      ListenCommand.class,
      RelayCommand.class,
      InstallCommand.class,
      StatusCommand.class,
      DeadCommand.class,
      DashboardCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Your application's classes come in with --classpath (or PGPUBSUB_CLASSPATH).",
      "Exit codes: 0 ok, 1 unexpected error, 2 bad arguments,",
      "3 database unreachable or credentials refused, 4 notification table missing",
      "(run 'install --apply'), 5 the command matched nothing."
    })
public final class PgPubSubCli implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: listen, relay, install, status, dead or dashboard");
  }

  /**
   * Runs the command line and exits with its exit code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * Runs the command line and returns its exit code (the tests drive the CLI in-process with it).
   *
   * @param args the command line
   * @param out where results go
   * @param err where errors go
   * @return the exit code, see {@link ExitCode}
   */
  public static int execute(String[] args, PrintWriter out, PrintWriter err) {
    Logging.routeToSlf4j();
    CommandLine cli = new CommandLine(new PgPubSubCli());
    cli.setOut(out);
    cli.setErr(err);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler(PgPubSubCli::usageError);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof CliException) {
            err.println("pgpubsub: " + e.getMessage());
            return ((CliException) e).exitCode;
          }
          if (e instanceof CommandLine.ParameterException) {
            return usageError((CommandLine.ParameterException) e, args);
          }
          err.println("pgpubsub: " + e.getClass().getSimpleName() + ": " + CliException.oneLine(e.getMessage()));
          return ExitCode.FAILURE;
        });
    return cli.execute(args);
  }

  /** A usage error in two lines: what is wrong, and where the help is (not the whole usage text). */
  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("pgpubsub: " + e.getMessage());
    CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
    err.flush();
    return ExitCode.USAGE;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = PgPubSubCli.class.getPackage().getImplementationVersion();
      return new String[] {"pgpubsub " + (v == null ? "(development build)" : v)};
    }
  }
}
