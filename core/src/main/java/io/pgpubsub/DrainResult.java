package io.pgpubsub;

/**
 * What one listener did while {@link Listener#drain} or {@link Listener#awaitIdle} waited.
 *
 * @param processed notifications whose callbacks ran successfully (and that left the table)
 * @param failed failed attempts, whether retried later or dead (a notification that failed twice and then
 *     succeeded counts 2 here and 1 in {@code processed})
 * @param dead notifications that became dead (attempts exhausted, or not decodable)
 */
public record DrainResult(long processed, long failed, long dead) {

  @Override
  public String toString() {
    return "processed " + processed + ", failed " + failed + ", dead " + dead;
  }
}
