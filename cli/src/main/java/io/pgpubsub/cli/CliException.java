package io.pgpubsub.cli;

import java.sql.SQLException;

/** An error the command reports as one line and an exit code, without a stack trace. */
final class CliException extends RuntimeException {

  private static final long serialVersionUID = 1L;
  final int exitCode;

  CliException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  static CliException fromConnect(String url, SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String why;
    if (state.equals("28P01") || state.equals("28000")) {
      why = "authentication failed (check --user/--password)";
    } else if (state.equals("3D000")) {
      why = "the database does not exist";
    } else if (state.startsWith("08")) {
      why = "cannot connect (is the server running and reachable?)";
    } else {
      why = oneLine(e.getMessage());
    }
    return new CliException(ExitCode.DATABASE_UNAVAILABLE, "cannot connect to " + redact(url) + ": " + why);
  }

  static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  /** Hides a password given inside the URL. */
  static String redact(String url) {
    return url == null ? null : url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}
