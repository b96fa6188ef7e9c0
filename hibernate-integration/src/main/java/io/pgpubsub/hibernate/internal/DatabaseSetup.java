package io.pgpubsub.hibernate.internal;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.Schema;
import io.pgpubsub.hibernate.PubSubSettings;
import io.pgpubsub.hibernate.SchemaManagement;
import io.pgpubsub.spi.ChannelDefinition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.hibernate.engine.jdbc.connections.spi.JdbcConnectionAccess;
import org.hibernate.persister.entity.EntityPersister;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database side of the boot: checks each trigger channel's table against the table Hibernate maps for
 * its entity, then (by {@link PubSubSettings#SCHEMA_MANAGEMENT}) installs or validates the notification table
 * and the generated triggers.
 *
 * <p>Whether a trigger is missing or stale is decided by PostgreSQL itself: in a transaction (or savepoint)
 * the channel's generated DDL is applied and the table's triggers and trigger functions ({@code
 * pg_get_triggerdef}, {@code pg_get_functiondef}) are compared before and after. Identical: up to date.
 * Validate mode always rolls back; create mode keeps what changed. This needs no knowledge of the names the
 * processor chose, and catches any difference (columns, operations, watched columns, mapping version).
 */
final class DatabaseSetup {

  private static final Logger log = LoggerFactory.getLogger(DatabaseSetup.class);
  /** pg_advisory_xact_lock key serializing concurrent installs of several application instances. */
  private static final long INSTALL_LOCK = 0x7067707562737562L; // "pgpubsub"

  private final PubSubService service;
  private final PubSubConfig config;

  DatabaseSetup(PubSubService service) {
    this.service = service;
    this.config = service.config();
  }

  /** A table as PostgreSQL names it; schema null means "the search path decides". */
  record TableName(String schema, String table) {
    String sql() {
      return (schema == null ? "" : Identifiers.quote(schema) + ".") + Identifiers.quote(table);
    }

    TableName resolve(String currentSchema) {
      return schema == null ? new TableName(currentSchema, table) : this;
    }

    @Override
    public String toString() {
      return (schema == null ? "" : schema + ".") + table;
    }
  }

  /** The table Hibernate maps for the channel's entity (after naming strategies and default schema). */
  TableName mappedTable(ChannelDefinition channel) {
    EntityPersister persister =
        service.factory().getMappingMetamodel().getEntityDescriptor(channel.payloadType());
    String[] parts = Identifiers.splitQualified(persister.getMappedTableDetails().getTableName());
    return new TableName(parts[0], parts[1]);
  }

  List<String> run(List<ChannelDefinition> channels) {
    List<String> problems = new ArrayList<>();
    JdbcConnectionAccess access = service.factory().getJdbcServices().getBootstrapJdbcConnectionAccess();
    Connection c;
    try {
      c = access.obtainConnection();
    } catch (SQLException e) {
      problems.add("cannot connect to check the triggers: " + e.getMessage());
      return problems;
    }
    try {
      boolean autoCommit = c.getAutoCommit();
      c.setAutoCommit(false);
      try {
        Map<ChannelDefinition, TableName> tables = checkTables(c, channels, problems);
        switch (config.schemaManagement()) {
          case CREATE:
            create(c, tables, problems);
            break;
          case VALIDATE:
            validate(c, tables, problems);
            break;
          default:
            c.rollback();
            break;
        }
      } catch (SQLException e) {
        c.rollback();
        problems.add(
            "database error while "
                + (config.schemaManagement() == SchemaManagement.CREATE ? "installing" : "checking")
                + " the pgpubsub objects: "
                + e.getMessage());
      } finally {
        c.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      problems.add("database error: " + e.getMessage());
    } finally {
      try {
        access.releaseConnection(c);
      } catch (SQLException e) {
        log.warn("pgpubsub: releasing the boot connection failed", e);
      }
    }
    return problems;
  }

  /**
   * Each trigger must sit on the table Hibernate maps for its entity; an unqualified name on either side is
   * resolved through the connection's search path ({@code current_schema()}).
   */
  private Map<ChannelDefinition, TableName> checkTables(
      Connection c, List<ChannelDefinition> channels, List<String> problems) throws SQLException {
    String currentSchema = queryString(c, "SELECT current_schema()");
    Map<ChannelDefinition, TableName> ok = new LinkedHashMap<>();
    for (ChannelDefinition channel : channels) {
      TableName mapped = mappedTable(channel);
      TableName trigger = new TableName(channel.schema(), channel.table());
      String ddl;
      try {
        ddl = ddl(channel);
      } catch (RuntimeException e) {
        problems.add(e.getMessage());
        continue;
      }
      if (!mapped.resolve(currentSchema).equals(trigger.resolve(currentSchema))) {
        problems.add(
            "trigger channel '"
                + channel.name()
                + "' of entity "
                + channel.payloadType().getName()
                + ": the generated trigger is on table "
                + trigger
                + " but Hibernate maps the entity to table "
                + mapped
                + " (expected "
                + mapped.resolve(currentSchema)
                + ", actual "
                + trigger.resolve(currentSchema)
                + "); make @Table, the naming strategy (processor option -Apgpubsub.naming) and"
                + " hibernate.default_schema agree, or the trigger would watch the wrong table");
      } else if (!ddl.contains(" " + config.schema() + ".pgpubsub_")) {
        problems.add(
            "trigger channel '"
                + channel.name()
                + "' of entity "
                + channel.payloadType().getName()
                + ": its generated trigger ("
                + channel.ddlResource()
                + ") does not write to the notification table in schema '"
                + config.schema()
                + "' ("
                + PubSubSettings.SCHEMA
                + "); compile with -Apgpubsub.schema="
                + config.schema()
                + " or set "
                + PubSubSettings.SCHEMA
                + " to the processor's schema");
      } else {
        List<String> columnProblems =
            MappedColumns.of(
                    service.factory().getMappingMetamodel().getEntityDescriptor(channel.payloadType()))
                .problems(channel);
        if (columnProblems.isEmpty()) {
          ok.put(channel, trigger);
        } else {
          problems.addAll(columnProblems);
        }
      }
    }
    return ok;
  }

  private void create(Connection c, Map<ChannelDefinition, TableName> tables, List<String> problems)
      throws SQLException {
    lockTimeout(c);
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
      ps.setLong(1, INSTALL_LOCK);
      ps.execute();
    }
    NotificationTable.install(c, config.schema());
    for (Map.Entry<ChannelDefinition, TableName> e : tables.entrySet()) {
      ChannelDefinition channel = e.getKey();
      TableName table = e.getValue();
      if (!exists(c, table)) {
        problems.add(missingTable(channel, table));
        continue;
      }
      Savepoint sp = c.setSavepoint();
      Map<String, String> before = triggers(c, table);
      try (Statement s = c.createStatement()) {
        s.execute(ddl(channel));
      } catch (SQLException ex) {
        c.rollback(sp);
        problems.add(
            "trigger channel '" + channel.name() + "': installing its DDL (" + channel.ddlResource() + ") on "
                + table + " failed: " + ex.getMessage());
        continue;
      }
      Map<String, String> after = triggers(c, table);
      if (after.equals(before)) {
        c.rollback(sp); // nothing changed: do not keep the re-created trigger (nor its lock)
        log.debug("pgpubsub: trigger of channel '{}' on {} is up to date", channel.name(), table);
      } else {
        c.releaseSavepoint(sp);
        log.info(
            "pgpubsub: {} the trigger of channel '{}' on {} (mapping version {})",
            before.keySet().stream().anyMatch(after::containsKey) ? "updated" : "installed",
            channel.name(),
            table,
            channel.mappingVersion());
      }
    }
    if (problems.isEmpty()) {
      c.commit();
    } else {
      c.rollback();
    }
  }

  private void validate(Connection c, Map<ChannelDefinition, TableName> tables, List<String> problems)
      throws SQLException {
    lockTimeout(c);
    for (String t : new String[] {"pgpubsub_notification", "pgpubsub_broadcast"}) {
      TableName table = new TableName(config.schema(), t);
      if (!exists(c, table)) {
        problems.add(
            "table "
                + table
                + " does not exist ("
                + PubSubSettings.SCHEMA_MANAGEMENT
                + "=validate); create it with "
                + PubSubSettings.SCHEMA_MANAGEMENT
                + "=create or apply io.pgpubsub.Schema.script(...) in your migrations");
      }
    }
    for (Map.Entry<ChannelDefinition, TableName> e : tables.entrySet()) {
      ChannelDefinition channel = e.getKey();
      TableName table = e.getValue();
      if (!exists(c, table)) {
        problems.add(missingTable(channel, table));
        continue;
      }
      Savepoint sp = c.setSavepoint();
      Map<String, String> before = triggers(c, table);
      Map<String, String> after;
      try (Statement s = c.createStatement()) {
        s.execute(ddl(channel));
        after = triggers(c, table);
      } catch (SQLException ex) {
        c.rollback(sp);
        problems.add(
            "trigger channel '" + channel.name() + "': cannot compare the installed trigger on " + table
                + " with its DDL (" + channel.ddlResource() + "): " + ex.getMessage());
        continue;
      }
      c.rollback(sp);
      for (Map.Entry<String, String> t : after.entrySet()) {
        String installed = before.get(t.getKey());
        if (installed == null) {
          problems.add(
              "trigger channel '" + channel.name() + "' of entity " + channel.payloadType().getName()
                  + ": trigger " + t.getKey() + " is missing on table " + table + " ("
                  + PubSubSettings.SCHEMA_MANAGEMENT + "=validate); install " + channel.ddlResource()
                  + " or use " + PubSubSettings.SCHEMA_MANAGEMENT + "=create");
        } else if (!installed.equals(t.getValue())) {
          problems.add(
              "trigger channel '" + channel.name() + "' of entity " + channel.payloadType().getName()
                  + ": trigger " + t.getKey() + " on table " + table + " is stale: it differs from the DDL"
                  + " generated for mapping version " + channel.mappingVersion()
                  + (installed.contains(channel.mappingVersion()) ? "" : " (the installed one has another version)")
                  + " (" + PubSubSettings.SCHEMA_MANAGEMENT + "=validate); re-apply " + channel.ddlResource()
                  + " or use " + PubSubSettings.SCHEMA_MANAGEMENT + "=create");
        }
      }
    }
    c.rollback();
  }

  private static String missingTable(ChannelDefinition channel, TableName table) {
    return "trigger channel '" + channel.name() + "' of entity " + channel.payloadType().getName() + ": table "
        + table + " does not exist, so its trigger cannot be installed (did Hibernate's schema management or"
        + " your migrations create it?)";
  }

  /** The channel's trigger DDL, with the notification table's schema filled in where it is a placeholder. */
  String ddl(ChannelDefinition channel) {
    return Schema.triggerDdl(channel).replace("{{schema}}", config.schema());
  }

  private void lockTimeout(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT set_config('lock_timeout', ?, true)")) {
      ps.setString(1, config.lockTimeout().toMillis() + "ms");
      ps.execute();
    }
  }

  private static boolean exists(Connection c, TableName table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
      ps.setString(1, table.sql());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** The table's own triggers: name -> definition, enabled state and its function's definition. */
  static Map<String, String> triggers(Connection c, TableName table) throws SQLException {
    Map<String, String> out = new LinkedHashMap<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT t.tgname, pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text || E'\\n'"
                + " || pg_get_functiondef(t.tgfoid)"
                + " FROM pg_trigger t WHERE t.tgrelid = to_regclass(?) AND NOT t.tgisinternal ORDER BY t.tgname")) {
      ps.setString(1, table.sql());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.put(rs.getString(1), Objects.requireNonNullElse(rs.getString(2), ""));
        }
      }
    }
    return out;
  }

  private static String queryString(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
