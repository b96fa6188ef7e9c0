package io.pgpubsub.hibernate.internal;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.hibernate.PubSubBootException;
import io.pgpubsub.hibernate.PubSubSettings;
import io.pgpubsub.hibernate.SchemaManagement;
import java.time.Duration;
import java.util.Map;

/** The integration's settings, read once from the SessionFactory's configuration. */
record PubSubConfig(boolean enabled, SchemaManagement schemaManagement, String schema, Duration lockTimeout) {

  static PubSubConfig from(Map<String, Object> settings) {
    boolean enabled = bool(settings, PubSubSettings.ENABLED, true);
    Object mode = settings.get(PubSubSettings.SCHEMA_MANAGEMENT);
    SchemaManagement management;
    try {
      management =
          mode == null
              ? SchemaManagement.CREATE
              : mode instanceof SchemaManagement m ? m : SchemaManagement.parse(mode.toString());
    } catch (IllegalArgumentException e) {
      throw new PubSubBootException(e.getMessage());
    }
    Object schemaValue = settings.get(PubSubSettings.SCHEMA);
    String schema = schemaValue == null ? NotificationTable.DEFAULT_SCHEMA : schemaValue.toString().trim();
    try {
      NotificationTable.ddl(schema);
    } catch (IllegalArgumentException e) {
      throw new PubSubBootException(PubSubSettings.SCHEMA + ": " + e.getMessage());
    }
    Object timeout = settings.get(PubSubSettings.LOCK_TIMEOUT);
    long millis;
    try {
      millis = timeout == null ? 3_000 : Long.parseLong(timeout.toString().trim());
    } catch (NumberFormatException e) {
      throw new PubSubBootException(
          PubSubSettings.LOCK_TIMEOUT + " must be a number of milliseconds, got: '" + timeout + "'");
    }
    if (millis < 0) {
      throw new PubSubBootException(PubSubSettings.LOCK_TIMEOUT + " must not be negative, got: " + millis);
    }
    return new PubSubConfig(enabled, management, schema, Duration.ofMillis(millis));
  }

  private static boolean bool(Map<String, Object> settings, String name, boolean defaultValue) {
    Object v = settings.get(name);
    if (v == null) {
      return defaultValue;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    String s = v.toString().trim();
    if (s.equalsIgnoreCase("true")) {
      return true;
    }
    if (s.equalsIgnoreCase("false")) {
      return false;
    }
    throw new PubSubBootException(name + " must be true or false, got: '" + v + "'");
  }
}
