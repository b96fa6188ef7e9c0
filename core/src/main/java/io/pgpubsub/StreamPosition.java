package io.pgpubsub;

import java.util.Objects;

/**
 * A position in a stream: the writer's top-level transaction id ({@code pg_current_xact_id()}, never reused,
 * 64 bits with the epoch) and the event's identity value. Positions are totally ordered, first by {@code xid}
 * then by {@code id}; readers read events in that order and only once every transaction that could still
 * write an event before them has ended (see docs/streams.md). They are not dense: do not compute with them.
 *
 * <p>{@link #toString()} gives a token ({@code "<xid>-<id>"}, for example {@code "7315-42"}) that {@link
 * #parse(String)} reads back: store it, send it as an SSE id, pass it in a URL.
 *
 * @param xid the writer's transaction id (0 only in {@link #BEGINNING})
 * @param id the event's identity value (0 only in {@link #BEGINNING})
 */
public record StreamPosition(long xid, long id) implements Comparable<StreamPosition> {

  /** Before every event: reading after it starts at the oldest event retention kept (never a reset signal). */
  public static final StreamPosition BEGINNING = new StreamPosition(0, 0);

  public StreamPosition {
    if (xid < 0 || id < 0) {
      throw new IllegalArgumentException("a stream position has no negative part: " + xid + "-" + id);
    }
  }

  /** Reads a token written by {@link #toString()}. */
  public static StreamPosition parse(String token) {
    Objects.requireNonNull(token, "token");
    int dash = token.indexOf('-');
    if (dash <= 0 || dash == token.length() - 1) {
      throw new IllegalArgumentException("not a stream position (expected <xid>-<id>): '" + token + "'");
    }
    try {
      return new StreamPosition(Long.parseLong(token.substring(0, dash)), Long.parseLong(token.substring(dash + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a stream position (expected <xid>-<id>): '" + token + "'", e);
    }
  }

  public boolean isBeginning() {
    return xid == 0 && id == 0;
  }

  @Override
  public int compareTo(StreamPosition other) {
    int c = Long.compare(xid, other.xid);
    return c != 0 ? c : Long.compare(id, other.id);
  }

  @Override
  public String toString() {
    return xid + "-" + id;
  }
}
