package io.pgpubsub.internal;

import io.pgpubsub.spi.DecodeException;

/**
 * Carries a {@link DecodeException} through {@link io.pgpubsub.spi.Invocation} methods (which cannot throw
 * checked exceptions) to the dispatcher, which dead-letters the notification without retrying it.
 */
final class DecodeFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  DecodeFailure(DecodeException cause) {
    super(cause.getMessage(), cause);
  }

  /** The decode problem somewhere in {@code t}'s cause chain, or null when {@code t} is another failure. */
  static DecodeException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof DecodeException) {
        return (DecodeException) c;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }
}
