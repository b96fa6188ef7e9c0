package io.pgpubsub.internal;

import java.sql.SQLException;

/**
 * A callback returned normally but left its transaction failed: one of its statements failed and the callback
 * caught the exception. PostgreSQL rolls a failed transaction back at commit, so the callback's work and the
 * removal of the notification would be lost while the callback looked successful; the runtime treats it as
 * that callback's failure instead (retried, then dead, per the retry policy).
 */
final class FailedTransactionException extends IllegalStateException {

  private FailedTransactionException(String message, SQLException cause) {
    super(message, cause);
  }

  static FailedTransactionException after(String callback, ClaimedRow row, SQLException swallowed) {
    String what =
        swallowed != null
            ? "a statement failed with SQL state "
                + swallowed.getSQLState()
                + " ("
                + swallowed.getMessage()
                + ") and its exception was caught"
            : "a statement failed and its exception was caught";
    return new FailedTransactionException(
        callback
            + " returned normally but left the transaction of notification "
            + row.id()
            + " on channel '"
            + row.channel()
            + "' failed: "
            + what
            + ". PostgreSQL rolls a failed transaction back at commit, so this counts as a failure of the"
            + " callback. Let the exception propagate, or run the statement under a savepoint and roll back to it",
        swallowed);
  }
}
