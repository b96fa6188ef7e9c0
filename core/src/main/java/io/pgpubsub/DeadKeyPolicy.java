package io.pgpubsub;

/**
 * What an ordered channel ({@link TriggerChannel#ordered()}, {@link Channel#ordered()}) does with a key whose
 * oldest notification went dead (its retries exhausted, or it cannot be decoded).
 */
public enum DeadKeyPolicy {

  /**
   * The key moves on (default): the dead notification stays in the table for an operator ({@link DeadLetters}),
   * and the key's next notification runs. An operator who later retries the dead notification makes it the
   * key's head again: it runs before the key's newer notifications that are still waiting, but after those
   * that already ran.
   */
  MOVE_ON,

  /**
   * The key stays blocked until an operator retries the dead notification ({@link DeadLetters#retry}) or
   * purges it ({@link DeadLetters#purge}); the key's newer notifications wait, other keys keep flowing.
   */
  BLOCK
}
