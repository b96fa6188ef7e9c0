package io.pgpubsub.processor.internal;

import java.util.EnumSet;
import java.util.Set;

/** Listener annotations (mirrors io.pgpubsub.spi.ListenerKind, which is not on the processor path). */
public enum Kind {
  POST_SAVE(Names.POST_SAVE_LISTENER, EnumSet.of(Op.INSERT, Op.UPDATE)),
  POST_INSERT(Names.POST_INSERT_LISTENER, EnumSet.of(Op.INSERT)),
  POST_UPDATE(Names.POST_UPDATE_LISTENER, EnumSet.of(Op.UPDATE)),
  POST_DELETE(Names.POST_DELETE_LISTENER, EnumSet.of(Op.DELETE)),
  PLAIN(Names.CHANNEL_LISTENER, EnumSet.noneOf(Op.class));

  private final String annotation;
  private final Set<Op> operations;

  Kind(String annotation, Set<Op> operations) {
    this.annotation = annotation;
    this.operations = operations;
  }

  public String annotation() {
    return annotation;
  }

  public String annotationSimpleName() {
    return annotation.substring(annotation.lastIndexOf('.') + 1);
  }

  /** The operations it runs for (empty for plain channel listeners). */
  public Set<Op> operations() {
    return operations;
  }
}
