package io.pgpubsub.cli;

import io.pgpubsub.Schema;
import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "install",
    mixinStandardHelpOptions = true,
    description = {
      "Prints (default) or applies (--apply) the DDL pgpubsub needs.",
      "That is the notification table and the trigger of every @TriggerChannel on the class path; the DDL is"
          + " idempotent. It fails (exit 5) when the class path holds no channel at all."
    })
final class InstallCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--apply", description = "Apply the DDL to the database (in one transaction) instead of printing it.")
  boolean apply;

  @Mixin AppClasspath app;

  @Mixin DatabaseOptions db;

  @Override
  public Integer call() throws SQLException {
    Checks.schema(db.schema); // a bad schema name is a usage error, before anything else
    try (AppClasspath.Scope scope = app.open()) {
      List<ChannelDefinition> channels;
      try {
        channels = Registries.channels();
      } catch (IllegalStateException e) {
        throw new CliException(ExitCode.USAGE, CliException.oneLine(e.getMessage()));
      }
      if (channels.isEmpty()) {
        throw new CliException(
            ExitCode.NOTHING_MATCHED,
            "nothing "
                + (apply ? "installed" : "to print")
                + ": no generated channel registry on the class path. Give your application's classes with"
                + " --classpath (or PGPUBSUB_CLASSPATH), compiled with pgpubsub-processor in annotationProcessorPaths");
      }
      if (!apply) {
        spec.commandLine().getOut().println(Schema.script(db.schema, channels));
        return ExitCode.OK;
      }
      try (Connection c = db.connect()) {
        Schema.apply(c, db.schema, channels);
      }
      long triggers = channels.stream().filter(ChannelDefinition::trigger).count();
      spec.commandLine()
          .getOut()
          .println(
              "installed the notification table in schema "
                  + io.pgpubsub.internal.SchemaNames.printable(io.pgpubsub.internal.SchemaNames.sql(db.schema))
                  + " and "
                  + triggers
                  + " trigger(s)"
                  + (triggers == 0 ? " (the class path has plain @Channel channels only)" : ""));
      return ExitCode.OK;
    }
  }
}
