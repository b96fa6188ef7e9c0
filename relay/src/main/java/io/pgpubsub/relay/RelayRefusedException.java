package io.pgpubsub.relay;

/**
 * The broker refused a message for what it is (too large, unroutable, no stream for its subject). The relay
 * records the notification as dead with this exception's message (the broker's own error) and moves on: it is
 * never sent again unless an operator retries it ({@link io.pgpubsub.DeadLetters#retry}).
 */
public class RelayRefusedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public RelayRefusedException(String message) {
    super(message);
  }

  public RelayRefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
