package io.pgpubsub.internal;

/**
 * A notification's callbacks ran longer than the callback timeout, or were still running when a stop's grace
 * period ended. Recorded as the notification's failed attempt; its stack trace is the hung thread's.
 */
final class CallbackTimeoutException extends RuntimeException {

  CallbackTimeoutException(String message) {
    super(message);
  }
}
