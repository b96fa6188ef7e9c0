package io.pgpubsub.dashboard;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The dead letters an operator is looking at: the filters of the dead-letter view, applied alike to the list,
 * its count, its error groups and the bulk actions ("retry every dead letter that matches"). Every value is a
 * bind parameter; the SQL text is constant.
 *
 * @param channel exact channel name, or null for all
 * @param errorClass the exception class at the start of the error, or null
 * @param group the error group (the error's first line, as listed by the groups view), or null
 * @param age how long ago it died
 * @param search text searched in the error and the payload (case-insensitive), or an id; null for none
 */
record DeadFilter(String channel, String errorClass, String group, Dashboard.AgeFilter age, String search) {

  static final Pattern ERROR_CLASS = Pattern.compile("[A-Za-z_$][A-Za-z0-9_$.]{0,255}");
  /** The exception class at the start of last_error (which is a printed stack trace). */
  static final String ERROR_CLASS_SQL = "substring(last_error from '^[A-Za-z0-9_$.]+')";
  /**
   * An error group: the first line of last_error (class and message), cut to 300 characters, with every number
   * that stands alone ("order 1042", "id=7") written as {@code #}, so that one failure with different ids is
   * one group; digits inside a word ("Http2Exception") stay.
   */
  static final String GROUP_SQL =
      "regexp_replace(left(split_part(last_error, E'\\n', 1), 300), '(^|[^A-Za-z0-9_$.])[0-9]+', '\\1#', 'g')";

  static final DeadFilter NONE = new DeadFilter(null, null, null, Dashboard.AgeFilter.ANY, null);

  /** The WHERE clause; bind it with {@link #bind}. */
  static final String WHERE =
      " WHERE dead_at IS NOT NULL AND (?::text IS NULL OR channel = ?)"
          + " AND (?::text IS NULL OR "
          + ERROR_CLASS_SQL
          + " = ?)"
          + " AND (?::text IS NULL OR "
          + GROUP_SQL
          + " = ?)"
          + " AND (?::bigint IS NULL OR dead_at <= now() - ? * interval '1 second')"
          + " AND (?::bigint IS NULL OR dead_at > now() - ? * interval '1 second')"
          + " AND (?::text IS NULL OR last_error ILIKE ? OR payload::text ILIKE ? OR id::text = ?)";

  /** Reads the filter from request parameters (or a JSON body turned into a map); 400 on a bad value. */
  static DeadFilter parse(Map<String, String> q) {
    String channel = blankToNull(q.get("channel"));
    String errorClass = blankToNull(q.get("error"));
    if (errorClass != null && !ERROR_CLASS.matcher(errorClass).matches()) {
      throw new Dashboard.BadRequest(400, "error must be a Java class name");
    }
    String group = q.get("group") == null || q.get("group").isEmpty() ? null : q.get("group");
    if (group != null && group.length() > 300) {
      throw new Dashboard.BadRequest(400, "group is at most 300 characters (the first line of an error)");
    }
    String search = blankToNull(q.get("q"));
    if (search != null && search.length() > 200) {
      throw new Dashboard.BadRequest(400, "the search text is at most 200 characters");
    }
    return new DeadFilter(channel, errorClass, group, Dashboard.AgeFilter.parse(q.get("age")), search);
  }

  /** Binds {@link #WHERE}'s parameters from index {@code p}; returns the next index. */
  int bind(PreparedStatement ps, int p) throws SQLException {
    ps.setString(p++, channel);
    ps.setString(p++, channel);
    ps.setString(p++, errorClass);
    ps.setString(p++, errorClass);
    ps.setString(p++, group);
    ps.setString(p++, group);
    for (Long seconds : new Long[] {age.minSeconds, age.maxSeconds}) {
      if (seconds == null) {
        ps.setNull(p++, Types.BIGINT);
        ps.setNull(p++, Types.BIGINT);
      } else {
        ps.setLong(p++, seconds);
        ps.setLong(p++, seconds);
      }
    }
    String like = search == null ? null : "%" + escapeLike(search.trim()) + "%";
    ps.setString(p++, search);
    ps.setString(p++, like);
    ps.setString(p++, like);
    ps.setString(p++, search == null ? null : search.trim());
    return p;
  }

  /** Whether no filter is set (a bulk action would touch every dead letter). */
  boolean isEmpty() {
    return equals(NONE);
  }

  private static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
