package io.pgpubsub.hibernate.internal;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.internal.SchemaNames;
import io.pgpubsub.hibernate.PubSubBootException;
import io.pgpubsub.hibernate.PubSubSettings;
import io.pgpubsub.hibernate.SchemaManagement;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Map;

/** The integration's settings, read once from the SessionFactory's configuration. */
record PubSubConfig(
    boolean enabled, SchemaManagement schemaManagement, String schema, Duration lockTimeout, boolean wal) {

  static PubSubConfig from(Map<String, Object> settings) {
    checkNames(settings);
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
      SchemaNames.validate(schema, PubSubSettings.SCHEMA);
    } catch (IllegalArgumentException e) {
      throw new PubSubBootException(e.getMessage());
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
    Object transport = settings.get(PubSubSettings.TRANSPORT);
    String form = transport == null ? "table" : transport.toString().trim().toLowerCase(java.util.Locale.ROOT);
    if (!form.equals("table") && !form.equals("wal")) {
      throw new PubSubBootException(
          PubSubSettings.TRANSPORT + " must be table or wal, got: '" + transport + "'");
    }
    return new PubSubConfig(enabled, management, schema, Duration.ofMillis(millis), form.equals("wal"));
  }

  /** Every {@code hibernate.pgpubsub.*} name: the String constants of {@link PubSubSettings}. */
  static final Set<String> KNOWN = known();

  private static Set<String> known() {
    Set<String> names = new TreeSet<>();
    for (Field f : PubSubSettings.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          String name = (String) f.get(null);
          if (name.startsWith(PREFIX)) {
            names.add(name);
          }
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return Set.copyOf(names);
  }

  private static final String PREFIX = "hibernate.pgpubsub.";

  /** A misspelt setting would be ignored silently: fail, with the known names and the closest one. */
  private static void checkNames(Map<String, Object> settings) {
    List<String> unknown = new ArrayList<>();
    for (Object key : settings.keySet()) {
      if (key instanceof String name && name.startsWith(PREFIX) && !KNOWN.contains(name)) {
        unknown.add(name);
      }
    }
    if (unknown.isEmpty()) {
      return;
    }
    Collections.sort(unknown);
    StringBuilder message = new StringBuilder();
    for (String name : unknown) {
      message.append(message.length() == 0 ? "" : "; ").append("unknown setting ").append(name);
      String closest = null;
      int best = Integer.MAX_VALUE;
      for (String k : new TreeSet<>(KNOWN)) {
        int d = distance(name, k);
        if (d < best) {
          best = d;
          closest = k;
        }
      }
      if (closest != null && best <= Math.max(3, name.length() / 4)) {
        message.append(" (did you mean ").append(closest).append("?)");
      }
    }
    message.append(". Known settings: ").append(String.join(", ", new TreeSet<>(KNOWN)));
    throw new PubSubBootException("pgpubsub: " + message);
  }

  /** Levenshtein distance. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
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
