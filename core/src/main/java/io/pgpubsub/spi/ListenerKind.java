package io.pgpubsub.spi;

import io.pgpubsub.Operation;

/** The listener annotations, by the operations they run for. */
public enum ListenerKind {
  POST_SAVE,
  POST_INSERT,
  POST_UPDATE,
  POST_DELETE,
  /** {@code @ChannelListener} on a plain channel: every message. */
  PLAIN;

  /** Whether a listener of this kind runs for a notification of {@code op} (null for plain channels). */
  public boolean accepts(Operation op) {
    switch (this) {
      case POST_SAVE:
        return op == Operation.INSERT || op == Operation.UPDATE;
      case POST_INSERT:
        return op == Operation.INSERT;
      case POST_UPDATE:
        return op == Operation.UPDATE;
      case POST_DELETE:
        return op == Operation.DELETE;
      default:
        return op == null;
    }
  }
}
