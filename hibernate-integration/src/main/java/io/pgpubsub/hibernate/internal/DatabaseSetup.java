package io.pgpubsub.hibernate.internal;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.Schema;
import io.pgpubsub.internal.SchemaNames;
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
 * <p>Whether a trigger is missing or stale is read from the catalog, never found out by running DDL: the
 * generated DDL writes a version marker (a hash of the whole channel script) into the trigger function's body
 * and the trigger's comment, and the registry carries the expected marker, function and trigger names. Validate
 * mode therefore runs no DDL and takes no lock on any application table (a role that does not own the tables
 * can validate). Create mode compares first and runs the DDL only for the channels that differ, under
 * {@code SET LOCAL lock_timeout} ({@link PubSubSettings#LOCK_TIMEOUT}), so a long-running query on a table
 * never stalls the boot when the trigger is up to date, and stalls the table's writers at most that long when
 * it is not.
 */
final class DatabaseSetup {

  private static final Logger log = LoggerFactory.getLogger(DatabaseSetup.class);
  /** pg_advisory_xact_lock key serializing concurrent installs of several application instances. */
  private static final long INSTALL_LOCK = 0x7067707562737562L; // "pgpubsub"
  /** SQLSTATE lock_not_available: lock_timeout expired. */
  private static final String LOCK_NOT_AVAILABLE = "55P03";

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
      if (channel.installed() == null) {
        problems.add(
            "trigger channel '" + channel.name() + "' of entity " + channel.payloadType().getName()
                + ": its registry was generated by an older pgpubsub-processor (no version marker); rebuild the"
                + " module with the pgpubsub-processor of this version");
        continue;
      }
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
      } else if (!ddl.contains(" " + SchemaNames.sql(config.schema()) + ".pgpubsub_")) {
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
                + SchemaNames.printable(config.schema())
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

  /** What the catalog says about a channel's trigger, compared with what its generated DDL installs. */
  record TriggerState(boolean current, String problem) {}

  /**
   * Reads the table's trigger from the catalog (pg_trigger, pg_proc): no DDL, no lock on the table, no
   * privilege on it needed. Current when the trigger exists, is enabled, calls the generated function, and
   * both the trigger's comment and the function body carry the DDL's version marker (a hash of the whole
   * generated script, so any difference in columns, operations, filters or body shows).
   */
  private TriggerState state(Connection c, ChannelDefinition channel, TableName table) throws SQLException {
    boolean wal = walForm(channel);
    ChannelDefinition.Installed expected = channel.installed();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT t.tgenabled::text, obj_description(t.oid, 'pg_trigger'), n.nspname, p.proname,"
                + " strpos(p.prosrc, ?) > 0, substring(p.prosrc from 'pgpubsub:[0-9a-f]+'),"
                + " strpos(p.prosrc, 'pg_logical_emit_message') > 0"
                + " FROM pg_catalog.pg_trigger t"
                + " JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid"
                + " JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE t.tgrelid = to_regclass(?) AND t.tgname = ? AND NOT t.tgisinternal")) {
      ps.setString(1, expected.ddlVersion());
      ps.setString(2, table.sql());
      ps.setString(3, expected.trigger());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new TriggerState(false, "trigger " + expected.trigger() + " is missing on table " + table);
        }
        String enabled = rs.getString(1);
        String comment = rs.getString(2);
        String function = rs.getString(3) + "." + rs.getString(4);
        boolean bodyCurrent = rs.getBoolean(5);
        String bodyVersion = rs.getString(6);
        String expectedFunction = expected.functionSchema() + "." + expected.function();
        if (!function.equals(expectedFunction)) {
          return new TriggerState(
              false,
              "trigger " + expected.trigger() + " on table " + table + " is stale: it calls " + function
                  + ", not " + expectedFunction);
        }
        if (!bodyCurrent || !expected.ddlVersion().equals(comment)) {
          return new TriggerState(
              false,
              "trigger " + expected.trigger() + " on table " + table + " is stale: it differs from the DDL"
                  + " generated for mapping version " + channel.mappingVersion() + " (expected "
                  + expected.ddlVersion() + "; the installed one has another version: its function body carries "
                  + (bodyCurrent ? expected.ddlVersion() : bodyVersion == null ? "no marker" : bodyVersion)
                  + ", its trigger comment " + (comment == null ? "none" : comment) + ")");
        }
        boolean installedWal = rs.getBoolean(7);
        if (installedWal != wal) {
          return new TriggerState(
              false,
              "trigger " + expected.trigger() + " on table " + table + " is stale: it is the "
                  + (installedWal ? "WAL transport's form (pg_logical_emit_message)" : "table transport's form")
                  + " and " + PubSubSettings.TRANSPORT + " is " + (wal ? "wal" : "table"));
        }
        if ("D".equals(enabled)) {
          return new TriggerState(
              false, "trigger " + expected.trigger() + " on table " + table + " is disabled (ALTER TABLE ... DISABLE TRIGGER)");
        }
        return new TriggerState(true, null);
      }
    }
  }

  private void create(Connection c, Map<ChannelDefinition, TableName> tables, List<String> problems)
      throws SQLException {
    lockTimeout(c);
    NotificationTable.install(c, config.schema());
    if (tables.keySet().stream().anyMatch(ChannelDefinition::isStream)) {
      try (Statement s = c.createStatement()) {
        s.execute(io.pgpubsub.Streams.ddl(config.schema())); // stream channels' triggers append to its table
      }
    }
    // compare first, without any lock: an unchanged trigger is left alone, so a boot never waits for a
    // transaction that holds a lock on an application table
    Map<ChannelDefinition, TableName> stale = new LinkedHashMap<>();
    for (Map.Entry<ChannelDefinition, TableName> e : tables.entrySet()) {
      if (!exists(c, e.getValue())) {
        problems.add(missingTable(e.getKey(), e.getValue()));
      } else if (state(c, e.getKey(), e.getValue()).current()) {
        log.debug("pgpubsub: trigger of channel '{}' on {} is up to date", e.getKey().name(), e.getValue());
      } else {
        stale.put(e.getKey(), e.getValue());
      }
    }
    if (!problems.isEmpty()) {
      c.rollback();
      return;
    }
    if (!stale.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
        ps.setLong(1, INSTALL_LOCK); // concurrent boots of several instances install one after the other
        ps.execute();
      } catch (SQLException ex) {
        if (!LOCK_NOT_AVAILABLE.equals(ex.getSQLState())) {
          throw ex;
        }
        c.rollback();
        problems.add(
            "another application instance has been installing pgpubsub triggers for longer than lock_timeout ("
                + config.lockTimeout().toMillis() + " ms, " + PubSubSettings.LOCK_TIMEOUT + "); nothing was installed");
        return;
      }
    }
    for (Map.Entry<ChannelDefinition, TableName> e : stale.entrySet()) {
      ChannelDefinition channel = e.getKey();
      TableName table = e.getValue();
      TriggerState before = state(c, channel, table); // again: another instance may have installed it meanwhile
      if (before.current()) {
        continue;
      }
      Savepoint sp = c.setSavepoint();
      try (Statement s = c.createStatement()) {
        s.execute(ddl(channel));
        c.releaseSavepoint(sp);
        log.info(
            "pgpubsub: {} the trigger of channel '{}' on {} (mapping version {}, {})",
            before.problem().contains(" is missing ") ? "installed" : "updated",
            channel.name(),
            table,
            channel.mappingVersion(),
            channel.installed().ddlVersion());
      } catch (SQLException ex) {
        c.rollback(sp);
        if (LOCK_NOT_AVAILABLE.equals(ex.getSQLState())) {
          problems.add(
              "trigger channel '" + channel.name() + "' of entity " + channel.payloadType().getName()
                  + ": installing its trigger on table " + table + " waited longer than lock_timeout ("
                  + config.lockTimeout().toMillis() + " ms, " + PubSubSettings.LOCK_TIMEOUT + ") for a lock on"
                  + " the table, which another transaction holds (a long query or an open transaction); nothing"
                  + " was installed and the table was not blocked any longer. Boot again when it has ended,"
                  + " raise " + PubSubSettings.LOCK_TIMEOUT + ", or apply " + channel.ddlResource()
                  + " in a migration (" + PubSubSettings.SCHEMA_MANAGEMENT + "=validate)");
        } else {
          problems.add(
              "trigger channel '" + channel.name() + "': installing its DDL (" + channel.ddlResource() + ") on "
                  + table + " failed: " + ex.getMessage());
        }
      }
    }
    if (problems.isEmpty()) {
      c.commit();
    } else {
      c.rollback();
    }
  }

  /** Reads the catalog only: no DDL, no table lock, no ownership needed. */
  private void validate(Connection c, Map<ChannelDefinition, TableName> tables, List<String> problems)
      throws SQLException {
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
    List<String> streams = tables.keySet().stream().filter(ChannelDefinition::isStream).map(ChannelDefinition::name).toList();
    if (!streams.isEmpty()) {
      for (String t : new String[] {"pgpubsub_stream_event", "pgpubsub_stream", "pgpubsub_stream_consumer"}) {
        TableName table = new TableName(config.schema(), t);
        if (!exists(c, table)) {
          problems.add(
              "table " + table + " does not exist, and the triggers of the stream channels " + streams
                  + " append to the stream tables (every write of their tables would fail) ("
                  + PubSubSettings.SCHEMA_MANAGEMENT + "=validate); apply META-INF/pgpubsub.sql or"
                  + " io.pgpubsub.Schema.script(...) in your migrations, or use " + PubSubSettings.SCHEMA_MANAGEMENT
                  + "=create");
        }
      }
    }
    List<String> ordered = tables.keySet().stream().filter(ChannelDefinition::ordered).map(ChannelDefinition::name).toList();
    TableName notifications = new TableName(config.schema(), "pgpubsub_notification");
    if (!ordered.isEmpty() && exists(c, notifications)) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(?) AND attname = 'order_key'"
                  + " AND attnum > 0 AND NOT attisdropped")) {
        ps.setString(1, notifications.sql());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getLong(1) == 0) {
            problems.add(
                "table " + notifications + " has no column order_key, which the ordered channels " + ordered
                    + " need (their triggers store it; every write of their tables would fail): it was created by"
                    + " an older version; apply io.pgpubsub.Schema.script(...) again (idempotent) or use "
                    + PubSubSettings.SCHEMA_MANAGEMENT + "=create");
          }
        }
      }
    }
    for (Map.Entry<ChannelDefinition, TableName> e : tables.entrySet()) {
      ChannelDefinition channel = e.getKey();
      TableName table = e.getValue();
      if (!exists(c, table)) {
        problems.add(missingTable(channel, table));
        continue;
      }
      TriggerState state = state(c, channel, table);
      if (!state.current()) {
        problems.add(
            "trigger channel '" + channel.name() + "' of entity " + channel.payloadType().getName() + ": "
                + state.problem() + " (" + PubSubSettings.SCHEMA_MANAGEMENT + "=validate); apply "
                + channel.ddlResource() + " (or META-INF/pgpubsub.sql) in a migration, or use "
                + PubSubSettings.SCHEMA_MANAGEMENT + "=create");
      }
    }
    c.rollback();
  }

  private static String missingTable(ChannelDefinition channel, TableName table) {
    return "trigger channel '" + channel.name() + "' of entity " + channel.payloadType().getName() + ": table "
        + table + " does not exist, so its trigger cannot be installed (did Hibernate's schema management or"
        + " your migrations create it?)";
  }

  /**
   * Whether the channel's trigger takes the WAL transport's form: with {@link PubSubSettings#TRANSPORT} {@code
   * wal}, for the channels that transport serves (lockable, not streams); broadcast and stream channels keep the
   * table form, which they need in either case.
   */
  private boolean walForm(ChannelDefinition channel) {
    return config.wal() && channel.lockable() && !channel.isStream();
  }

  /**
   * The channel's trigger DDL (the WAL transport's form with {@link PubSubSettings#TRANSPORT} {@code wal}), with
   * the notification table's schema filled in where it is a placeholder.
   */
  String ddl(ChannelDefinition channel) {
    String ddl = walForm(channel) ? io.pgpubsub.WalTransport.triggerDdl(channel) : Schema.triggerDdl(channel);
    return ddl.replace("{{schema}}", SchemaNames.sql(config.schema()));
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

  private static String queryString(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
