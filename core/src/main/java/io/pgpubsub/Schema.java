package io.pgpubsub;

import io.pgpubsub.spi.ChannelDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * Everything pgpubsub needs in the database: the notification table and the generated trigger of each
 * trigger channel. All of it is idempotent, so applying it again changes nothing.
 */
public final class Schema {

  private Schema() {}

  /** The trigger DDL the annotation processor generated for {@code channel} (empty for plain channels). */
  public static String triggerDdl(ChannelDefinition channel) {
    if (channel.ddlResource() == null) {
      return "";
    }
    ClassLoader cl = channel.payloadType().getClassLoader();
    try (InputStream in =
        cl != null ? cl.getResourceAsStream(channel.ddlResource()) : ClassLoader.getSystemResourceAsStream(channel.ddlResource())) {
      if (in == null) {
        throw new IllegalStateException(
            "the trigger DDL of channel '"
                + channel.name()
                + "' ("
                + channel.ddlResource()
                + ") is not on the class path of "
                + channel.payloadType().getName()
                + "; was the module compiled with pgpubsub-processor?");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The notification table DDL, the stream tables' DDL when a channel is a stream channel ({@link
   * Streams#ddl}), then the trigger DDL of every trigger channel, as one script.
   */
  public static String script(String schema, List<ChannelDefinition> channels) {
    StringBuilder sql = new StringBuilder(NotificationTable.ddl(schema));
    if (channels.stream().anyMatch(ChannelDefinition::isStream)) {
      sql.append("\n-- streams\n").append(Streams.ddl(schema));
    }
    for (ChannelDefinition channel : channels) {
      if (channel.trigger()) {
        sql.append("\n-- channel ").append(channel.name()).append('\n').append(triggerDdl(channel));
      }
    }
    return sql.toString();
  }

  /** Applies {@link #script} in one transaction. */
  public static void apply(Connection connection, String schema, List<ChannelDefinition> channels)
      throws SQLException {
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement s = connection.createStatement()) {
      s.execute(script(schema, channels));
      connection.commit();
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }
}
