package io.pgpubsub.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code --name=value} and {@code --flag} arguments. */
final class Args {

  private final Map<String, String> values = new LinkedHashMap<>();

  private Args() {}

  static Args parse(String[] args) {
    Args a = new Args();
    for (String arg : args) {
      if (arg.isBlank()) {
        continue;
      }
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("arguments look like --name=value or --flag, got: " + arg);
      }
      int eq = arg.indexOf('=');
      if (eq < 0) {
        a.values.put(arg.substring(2), "true");
      } else {
        a.values.put(arg.substring(2, eq), arg.substring(eq + 1));
      }
    }
    return a;
  }

  String get(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  String require(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + name + "=...");
    }
    return v;
  }

  int getInt(String name, int fallback) {
    String v = values.get(name);
    return v == null ? fallback : Integer.parseInt(v.replace("_", "").replace(",", ""));
  }

  double getDouble(String name, double fallback) {
    String v = values.get(name);
    return v == null ? fallback : Double.parseDouble(v);
  }

  boolean flag(String name) {
    return Boolean.parseBoolean(values.getOrDefault(name, "false"));
  }

  /** Parses {@code key=value key=value} (a child's RESULT line, without its first word). */
  static Map<String, String> keyValues(String line) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String part : line.trim().split("\\s+")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        m.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return m;
  }
}
