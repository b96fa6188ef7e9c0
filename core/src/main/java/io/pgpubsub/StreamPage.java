package io.pgpubsub;

import java.util.List;

/**
 * What {@link Streams#read} found after a position.
 *
 * @param events the events after the position, in position order (at most the limit asked for)
 * @param next the position to read after next time: the last event's, or the one asked for when there is none
 * @param heldBack true when committed or uncommitted events exist after {@code events} that are not readable
 *     yet because a transaction that started earlier is still open (see docs/streams.md): read again soon
 */
public record StreamPage(List<StreamEvent> events, StreamPosition next, boolean heldBack) {

  public StreamPage {
    events = List.copyOf(events);
  }
}
