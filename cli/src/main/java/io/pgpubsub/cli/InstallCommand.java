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
      "Prints (default) or applies (--apply) the DDL pgpubsub needs: the notification table and the trigger of",
      "every @TriggerChannel found on the class path. The DDL is idempotent."
    })
final class InstallCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--apply", description = "Apply the DDL to the database (in one transaction) instead of printing it.")
  boolean apply;

  @Mixin DatabaseOptions db;

  @Override
  public Integer call() throws SQLException {
    List<ChannelDefinition> channels = Registries.channels();
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
        .println("installed the notification table in schema " + db.schema + " and " + triggers + " trigger(s)");
    return ExitCode.OK;
  }
}
