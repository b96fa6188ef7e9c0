package io.pgpubsub.hibernate;

/**
 * The settings of the Hibernate integration, read from the Hibernate configuration (persistence.xml
 * properties, {@code hibernate.properties}, {@code Configuration.setProperty}, Spring's
 * {@code spring.jpa.properties.*}). Every setting is optional.
 */
public final class PubSubSettings {

  /**
   * {@code true} (default) or {@code false}. {@code false} switches the boot integration off: nothing is
   * installed, validated or checked when the SessionFactory starts. {@link HibernatePubSub}'s decoder,
   * Session resources and context API keep working.
   */
  public static final String ENABLED = "hibernate.pgpubsub.enabled";

  /**
   * What to do with the notification table and the generated triggers when the SessionFactory starts:
   * {@code create} (default) installs what is missing or stale, {@code validate} fails the boot when
   * something is missing or stale, {@code none} touches nothing. See {@link SchemaManagement}.
   */
  public static final String SCHEMA_MANAGEMENT = "hibernate.pgpubsub.schema_management";

  /**
   * The schema of the notification table ({@code pgpubsub_notification}, {@code pgpubsub_broadcast}).
   * Default {@code public}. Any schema name PostgreSQL accepts, as PostgreSQL stores it (case and all, e.g.
   * {@code My-Schema}); it is quoted in SQL where it needs quotes. Must equal the processor's {@code
   * -Apgpubsub.schema}.
   */
  public static final String SCHEMA = "hibernate.pgpubsub.schema";

  /**
   * {@code lock_timeout} in milliseconds for the DDL the integration runs at boot in create mode, and only for
   * triggers that are missing or stale (replacing a trigger needs an ACCESS EXCLUSIVE lock on its table, and
   * while it waits for one, every other reader and writer of the table waits behind it). Default {@code
   * 3000}; {@code 0} waits forever. On timeout the boot fails naming the table.
   */
  public static final String LOCK_TIMEOUT = "hibernate.pgpubsub.lock_timeout";

  /**
   * {@code table} (default) or {@code wal}: which form of the generated triggers the boot integration installs
   * and validates. {@code wal} is the form of the opt-in WAL transport ({@code pg_logical_emit_message}, see
   * docs/wal-transport.md): set it whenever the listeners run with {@code Transport.WAL}, so that a boot never
   * puts the table form back, and back to {@code table} when they return to the table transport (create mode
   * then replaces the WAL form; validate mode fails naming the trigger). Spring Boot sets it from {@code
   * pgpubsub.listener.transport}.
   */
  public static final String TRANSPORT = "hibernate.pgpubsub.transport";

  private PubSubSettings() {}
}
