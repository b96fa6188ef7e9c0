package io.pgpubsub;

/**
 * The reset signal: the position asked for is older than what retention kept (events after it were deleted), or
 * it does not belong to this database (it is ahead of every transaction id the server has handed out, as after
 * a restore into another cluster). Reading on would silently skip events, so nothing is returned: the reader
 * must rebuild its state and read again from {@link #oldest()} (or {@link StreamPosition#BEGINNING}).
 */
public final class StreamPositionPrunedException extends java.sql.SQLException {

  private static final long serialVersionUID = 1L;

  private final transient StreamPosition position;
  private final transient StreamPosition oldest;

  public StreamPositionPrunedException(String stream, StreamPosition position, StreamPosition oldest, String why) {
    super("stream '" + stream + "': position " + position + " " + why + "; read again from " + oldest
        + " after rebuilding what was built from the stream", "PGPS1");
    this.position = position;
    this.oldest = oldest;
  }

  /** The position that was asked for. */
  public StreamPosition position() {
    return position;
  }

  /** Where to read from after the reset: everything at or below it is gone. */
  public StreamPosition oldest() {
    return oldest;
  }
}
