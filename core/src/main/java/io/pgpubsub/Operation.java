package io.pgpubsub;

/** A row operation a trigger channel can capture. */
public enum Operation {
  INSERT,
  UPDATE,
  DELETE
}
