package io.pgpubsub.processor.internal;

/** The row operations (mirrors io.pgpubsub.Operation, which is not on the processor path). */
public enum Op {
  INSERT,
  UPDATE,
  DELETE
}
