package io.pgpubsub.hibernate;

import java.util.Locale;

/** Values of {@link PubSubSettings#SCHEMA_MANAGEMENT}. */
public enum SchemaManagement {
  /** Create the notification table and install (or replace) every missing or stale trigger. */
  CREATE,
  /** Fail the boot when the notification table or a trigger is missing, or a trigger is stale. */
  VALIDATE,
  /** Touch nothing (the DDL is applied by Flyway, Liquibase or by hand). */
  NONE;

  /** Parses a setting value, case-insensitively. */
  public static SchemaManagement parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          PubSubSettings.SCHEMA_MANAGEMENT + " must be one of create, validate, none; got: '" + value + "'");
    }
  }
}
