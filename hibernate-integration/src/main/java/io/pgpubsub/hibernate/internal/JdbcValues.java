package io.pgpubsub.hibernate.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.SQLException;
import java.sql.Time;
import java.sql.Timestamp;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;
import java.util.TimeZone;
import java.util.UUID;
import org.postgresql.PGStatement;
import org.postgresql.util.PGInterval;

/**
 * Turns one value of a {@code to_jsonb(row)} object into the object the PostgreSQL JDBC driver would have
 * returned for that column, in the class a Hibernate {@code JdbcType} extracts ({@code
 * JdbcType#getPreferredJavaTypeClass}). Hibernate's {@code JavaType#wrap} then takes it from there, exactly as
 * when it reads a {@code ResultSet}.
 *
 * <p>PostgreSQL's JSON forms: numeric as a JSON number (read as BigDecimal, never through double), timestamptz
 * as {@code 2026-11-23T20:07:17.123456+00:00}, timestamp as {@code 2026-11-23T20:07:17.123456}, date as
 * {@code 2026-11-23}, time as {@code 20:07:17.123456}, timetz with an offset, bytea as {@code \x0a0b} (or the
 * escape format), uuid, interval and the special values {@code infinity}/{@code -infinity}/{@code NaN} as
 * strings.
 */
final class JdbcValues {

  private JdbcValues() {}

  /** Thrown for a value that does not fit the column's type; the caller adds entity and column. */
  static final class Mismatch extends Exception {
    private static final long serialVersionUID = 1L;

    Mismatch(String message) {
      super(message, null, false, false);
    }

    Mismatch(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * @param preferred the class the JdbcType extracts, or null when it does not say
   * @param jdbcTimeZone {@code hibernate.jdbc.time_zone}, or null (then the JVM's zone, as the driver does)
   */
  static Object toJdbc(JsonNode node, Class<?> preferred, TimeZone jdbcTimeZone) throws Mismatch {
    if (preferred == null || preferred == Object.class) {
      return natural(node);
    }
    if (preferred == String.class) {
      return text(node);
    }
    if (preferred == Boolean.class) {
      return bool(node);
    }
    if (Number.class.isAssignableFrom(preferred)) {
      return number(node, preferred);
    }
    if (preferred == UUID.class) {
      return uuid(node);
    }
    if (preferred == byte[].class) {
      return bytea(node);
    }
    if (java.util.Date.class.isAssignableFrom(preferred)) {
      return legacyTemporal(node, preferred, jdbcTimeZone);
    }
    if (TemporalAccessor.class.isAssignableFrom(preferred)) {
      return javaTime(node, preferred);
    }
    if (preferred == Duration.class) {
      return interval(node);
    }
    // a type the driver hands out as something else (PGobject, Blob, streams): give the plain value and let
    // the JavaType wrap what it can
    return natural(node);
  }

  /** The value as JSON gives it: String, BigDecimal/BigInteger, Boolean. */
  static Object natural(JsonNode node) {
    if (node.isTextual()) {
      return node.textValue();
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToLong() ? (Object) node.longValue() : node.bigIntegerValue();
    }
    if (node.isNumber()) {
      return node.decimalValue();
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    return node.toString();
  }

  static String text(JsonNode node) {
    return node.isTextual() ? node.textValue() : node.isValueNode() ? node.asText() : node.toString();
  }

  private static Boolean bool(JsonNode node) throws Mismatch {
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isTextual()) {
      switch (node.textValue().trim().toLowerCase(java.util.Locale.ROOT)) {
        case "t":
        case "true":
          return true;
        case "f":
        case "false":
          return false;
        default:
          break;
      }
    }
    if (node.isIntegralNumber()) {
      return node.longValue() != 0;
    }
    throw new Mismatch("JSON " + kind(node) + " is not a boolean");
  }

  private static Object number(JsonNode node, Class<?> type) throws Mismatch {
    if (node.isTextual()) {
      // PostgreSQL writes NaN and +-Infinity (float4/float8/numeric) as strings
      String s = node.textValue().trim();
      if (type == Double.class || type == Float.class) {
        Double d = special(s);
        if (d != null) {
          return type == Double.class ? (Object) d : (Object) d.floatValue();
        }
      }
      try {
        return exact(new BigDecimal(s), type);
      } catch (NumberFormatException e) {
        throw new Mismatch("JSON string is not a number for " + type.getSimpleName());
      }
    }
    if (!node.isNumber()) {
      throw new Mismatch("JSON " + kind(node) + " is not a number for " + type.getSimpleName());
    }
    if (node.isIntegralNumber()) {
      if (type == Long.class && node.canConvertToLong()) {
        return node.longValue();
      }
      if (type == Integer.class && node.canConvertToInt()) {
        return node.intValue();
      }
    }
    return exact(node.decimalValue(), type);
  }

  private static Double special(String s) {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        return null;
    }
  }

  private static Object exact(BigDecimal value, Class<?> type) throws Mismatch {
    try {
      if (type == BigDecimal.class || type == Number.class) {
        return value;
      }
      if (type == Long.class) {
        return value.longValueExact();
      }
      if (type == Integer.class) {
        return value.intValueExact();
      }
      if (type == Short.class) {
        return value.shortValueExact();
      }
      if (type == Byte.class) {
        return value.byteValueExact();
      }
      if (type == BigInteger.class) {
        return value.toBigIntegerExact();
      }
      if (type == Double.class) {
        return value.doubleValue();
      }
      if (type == Float.class) {
        return value.floatValue();
      }
    } catch (ArithmeticException e) {
      throw new Mismatch(
          "JSON number does not fit " + type.getSimpleName() + " (" + e.getMessage() + ")");
    }
    return value;
  }

  private static UUID uuid(JsonNode node) throws Mismatch {
    try {
      return UUID.fromString(requireText(node, "uuid"));
    } catch (IllegalArgumentException e) {
      throw new Mismatch("JSON string is not a uuid");
    }
  }

  /** bytea: {@code \x} hex (PostgreSQL's default {@code bytea_output}) or the escape format. */
  static byte[] bytea(JsonNode node) throws Mismatch {
    String s = requireText(node, "bytea");
    if (s.startsWith("\\x")) {
      int n = (s.length() - 2) / 2;
      if ((s.length() & 1) != 0) {
        throw new Mismatch("JSON string is not a hex bytea (odd length)");
      }
      byte[] out = new byte[n];
      for (int i = 0; i < n; i++) {
        int hi = Character.digit(s.charAt(2 + 2 * i), 16);
        int lo = Character.digit(s.charAt(3 + 2 * i), 16);
        if (hi < 0 || lo < 0) {
          throw new Mismatch("JSON string is not a hex bytea (bad digit)");
        }
        out[i] = (byte) (hi << 4 | lo);
      }
      return out;
    }
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        if (c > 0xff) {
          throw new Mismatch("JSON string is not an escape-format bytea");
        }
        out.write(c);
      } else if (i + 1 < s.length() && s.charAt(i + 1) == '\\') {
        out.write('\\');
        i++;
      } else if (i + 3 < s.length()) {
        try {
          out.write(Integer.parseInt(s.substring(i + 1, i + 4), 8));
        } catch (NumberFormatException e) {
          throw new Mismatch("JSON string is not an escape-format bytea");
        }
        i += 3;
      } else {
        throw new Mismatch("JSON string is not an escape-format bytea");
      }
    }
    return out.toByteArray();
  }

  // ---------------------------------------------------------------------------------------------- time

  private static Object javaTime(JsonNode node, Class<?> type) throws Mismatch {
    String s = requireText(node, type.getSimpleName());
    boolean plus = "infinity".equals(s);
    boolean minus = "-infinity".equals(s);
    try {
      if (type == OffsetDateTime.class) {
        return plus ? OffsetDateTime.MAX : minus ? OffsetDateTime.MIN : dateTime(s);
      }
      if (type == Instant.class) {
        return plus ? Instant.MAX : minus ? Instant.MIN : dateTime(s).toInstant();
      }
      if (type == ZonedDateTime.class) {
        return dateTime(s).toZonedDateTime();
      }
      if (type == LocalDateTime.class) {
        return plus ? LocalDateTime.MAX : minus ? LocalDateTime.MIN : localDateTime(s);
      }
      if (type == LocalDate.class) {
        return plus ? LocalDate.MAX : minus ? LocalDate.MIN : LocalDate.parse(datePart(s));
      }
      if (type == LocalTime.class) {
        return LocalTime.parse(timePart(s));
      }
      if (type == OffsetTime.class) {
        String t = timePart(s);
        return hasOffset(t) ? OffsetTime.parse(t) : LocalTime.parse(t).atOffset(ZoneOffset.UTC);
      }
    } catch (DateTimeParseException e) {
      throw new Mismatch("JSON string is not a " + type.getSimpleName(), e);
    }
    throw new Mismatch("unsupported temporal type " + type.getName());
  }

  private static Object legacyTemporal(JsonNode node, Class<?> type, TimeZone jdbcTimeZone)
      throws Mismatch {
    String s = requireText(node, type.getSimpleName());
    try {
      if (type == Timestamp.class || type == java.util.Date.class) {
        if ("infinity".equals(s)) {
          return new Timestamp(PGStatement.DATE_POSITIVE_INFINITY);
        }
        if ("-infinity".equals(s)) {
          return new Timestamp(PGStatement.DATE_NEGATIVE_INFINITY);
        }
        if (hasOffset(s)) {
          // timestamptz: an instant, whatever the calendar
          return Timestamp.from(dateTime(s).toInstant());
        }
        LocalDateTime local = localDateTime(s);
        // getTimestamp(i) reads a timestamp without zone in the JVM's zone, getTimestamp(i, calendar) in the
        // calendar's (hibernate.jdbc.time_zone)
        return jdbcTimeZone == null
            ? Timestamp.valueOf(local)
            : Timestamp.from(local.atZone(jdbcTimeZone.toZoneId()).toInstant());
      }
      if (type == java.sql.Date.class) {
        if ("infinity".equals(s)) {
          return new java.sql.Date(PGStatement.DATE_POSITIVE_INFINITY);
        }
        if ("-infinity".equals(s)) {
          return new java.sql.Date(PGStatement.DATE_NEGATIVE_INFINITY);
        }
        return java.sql.Date.valueOf(LocalDate.parse(datePart(s)));
      }
      if (type == Time.class) {
        String t = timePart(s);
        if (hasOffset(t)) {
          OffsetTime ot = OffsetTime.parse(t);
          return new Time(
              ot.atDate(LocalDate.of(1970, 1, 1)).toInstant().toEpochMilli());
        }
        LocalTime lt = LocalTime.parse(t);
        long millis =
            jdbcTimeZone == null
                ? Time.valueOf(lt).getTime() + lt.getNano() / 1_000_000
                : lt.atDate(LocalDate.of(1970, 1, 1))
                    .atZone(jdbcTimeZone.toZoneId())
                    .toInstant()
                    .toEpochMilli();
        return new Time(millis);
      }
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw new Mismatch("JSON string is not a " + type.getSimpleName(), e);
    }
    throw new Mismatch("unsupported temporal type " + type.getName());
  }

  private static final DateTimeFormatter OFFSET_DATE_TIME = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

  static OffsetDateTime dateTime(String s) {
    OffsetDateTime fast = postgresDateTime(s);
    if (fast != null) {
      return fast;
    }
    String iso = s.indexOf('T') < 0 ? s.replaceFirst(" ", "T") : s;
    if (!hasOffset(iso)) {
      // a timestamp without time zone read as timestamptz: the driver takes it as UTC
      return LocalDateTime.parse(iso).atOffset(ZoneOffset.UTC);
    }
    return OffsetDateTime.parse(normalizeOffset(iso), OFFSET_DATE_TIME);
  }

  /**
   * The one shape PostgreSQL's JSON output gives a {@code timestamptz} ({@code 2026-11-23T20:07:17.123456+05:30}:
   * a four-digit year, 0 to 6 fraction digits, an offset of hours, minutes and, for old local mean times,
   * seconds), read by hand: {@link DateTimeFormatter} spends several microseconds on each value, which made
   * timestamp parsing the largest single cost of decoding a row. Anything else (BC dates, five-digit years,
   * {@code Z}) returns null and goes through the formatter.
   */
  static OffsetDateTime postgresDateTime(String s) {
    int n = s.length();
    if (n < 22
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if ((year | month | day | hour | minute | second) < 0) {
      return null;
    }
    int i = 19;
    int nanos = 0;
    if (s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && i - start < 9 && Character.isDigit(s.charAt(i))) {
        nanos = nanos * 10 + (s.charAt(i++) - '0');
      }
      if (i == start) {
        return null;
      }
      for (int k = i - start; k < 9; k++) {
        nanos *= 10;
      }
    }
    if (i + 3 > n || (s.charAt(i) != '+' && s.charAt(i) != '-')) {
      return null;
    }
    int sign = s.charAt(i) == '-' ? -1 : 1;
    int offset = 0;
    for (int unit = 3600; unit >= 1 && i < n; unit /= 60) { // +HH, then :MM, then :SS
      if (unit < 3600 && s.charAt(i) != ':') {
        return null;
      }
      int part = digits(s, i + 1, 2);
      if (part < 0) {
        return null;
      }
      offset += part * unit;
      i += 3;
    }
    if (i != n) {
      return null;
    }
    try {
      return OffsetDateTime.of(
          year, month, day, hour, minute, second, nanos, ZoneOffset.ofTotalSeconds(sign * offset));
    } catch (DateTimeException e) {
      return null; // out of range: let the formatter report it
    }
  }

  /** The {@code count} decimal digits at {@code from} as a number, or -1 (also when the string is too short). */
  private static int digits(String s, int from, int count) {
    if (from + count > s.length()) {
      return -1;
    }
    int v = 0;
    for (int i = from; i < from + count; i++) {
      char ch = s.charAt(i);
      if (ch < '0' || ch > '9') {
        return -1;
      }
      v = v * 10 + (ch - '0');
    }
    return v;
  }

  private static LocalDateTime localDateTime(String s) {
    String iso = s.indexOf('T') < 0 ? s.replaceFirst(" ", "T") : s;
    if (hasOffset(iso)) {
      return dateTime(s).toLocalDateTime();
    }
    return LocalDateTime.parse(iso);
  }

  /** PostgreSQL may write {@code +05} for whole-hour offsets in some paths; ISO wants {@code +05:00}. */
  private static String normalizeOffset(String s) {
    int t = s.indexOf('T');
    int sign = Math.max(s.lastIndexOf('+'), s.lastIndexOf('-'));
    if (sign > t && s.length() - sign == 3) {
      return s + ":00";
    }
    return s;
  }

  private static boolean hasOffset(String s) {
    int t = s.indexOf('T');
    String time = t >= 0 ? s.substring(t + 1) : s.length() > 10 && s.charAt(10) == ' ' ? s.substring(11) : s;
    return time.endsWith("Z") || time.indexOf('+') >= 0 || time.indexOf('-') >= 0;
  }

  private static String datePart(String s) {
    int t = s.indexOf('T');
    return t >= 0 ? s.substring(0, t) : s;
  }

  private static String timePart(String s) {
    int t = s.indexOf('T');
    return t >= 0 ? s.substring(t + 1) : s;
  }

  /** interval: Hibernate's PostgreSQL interval type reads a PGInterval and adds it up, days as 24 hours. */
  private static Duration interval(JsonNode node) throws Mismatch {
    String s = requireText(node, "interval");
    try {
      PGInterval interval = new PGInterval(s);
      long seconds =
          (long) interval.getSeconds()
              + 86_400L * interval.getDays()
              + 3_600L * interval.getHours()
              + 60L * interval.getMinutes();
      long nanos = 1000L * interval.getMicroSeconds();
      return Duration.ofSeconds(seconds, nanos);
    } catch (SQLException e) {
      throw new Mismatch("JSON string is not an interval", e);
    }
  }

  private static String requireText(JsonNode node, String what) throws Mismatch {
    if (!node.isTextual()) {
      throw new Mismatch("JSON " + kind(node) + " where a string (" + what + ") was expected");
    }
    return node.textValue();
  }

  /** A JSON value's kind for messages; never the value itself (it may be personal data). */
  static String kind(JsonNode node) {
    return node == null ? "missing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}
