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
    if (state.equals("28P01")) {
      why = "password authentication failed (check --user/--password)";
    } else if (state.equals("28000")) {
      // invalid_authorization_specification: no such role, or no pg_hba.conf entry; the server says which
      why = "the server refused the connection: " + serverMessage(e) + " (check --user, and pg_hba.conf)";
    } else if (state.equals("3D000")) {
      why = "the database does not exist";
    } else if (state.startsWith("08")) {
      why = "cannot connect (is the server running and reachable?)";
    } else {
      why = oneLine(e.getMessage());
    }
    return new CliException(ExitCode.DATABASE_UNAVAILABLE, "cannot connect to " + redact(url) + ": " + why);
  }

  /** The server's message without pgjdbc's "FATAL:" prefix. */
  private static String serverMessage(SQLException e) {
    String m = oneLine(e.getMessage());
    return m.replaceFirst("^(FATAL|ERROR): ", "");
  }

  static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }

  /** Hides the password of a URI's user info ({@code amqp://user:secret@host} becomes {@code amqp://user:***@host}). */
  static String redactUri(String text) {
    return text == null ? null : text.replaceAll("(://[^:/@\\s]*:)[^@\\s]*@", "$1***@");
  }

  /** Hides a password given inside the URL. */
  static String redact(String url) {
    return url == null ? null : url.replaceAll("(?i)(password=)[^&]*", "$1***");
  }
}
