package io.pgpubsub.cli;

/** Exit codes a script can rely on. */
public final class ExitCode {
  /** Done (for {@code listen}: stopped by SIGTERM/SIGINT after a graceful shutdown). */
  public static final int OK = 0;
  /** An unexpected error; the message says what. */
  public static final int FAILURE = 1;
  /** Bad arguments or options (picocli's usage error code). */
  public static final int USAGE = 2;
  /** The database cannot be reached or refuses the credentials. */
  public static final int DATABASE_UNAVAILABLE = 3;
  /** The database answers but pgpubsub's notification table is missing: run {@code install --apply}. */
  public static final int NOT_INSTALLED = 4;

  /** The command matched nothing: a dead-letter id that does not exist, an install that found no channel. */
  public static final int NOTHING_MATCHED = 5;

  private ExitCode() {}
}
