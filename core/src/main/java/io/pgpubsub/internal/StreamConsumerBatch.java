package io.pgpubsub.internal;

import io.pgpubsub.StreamEvent;
import io.pgpubsub.StreamPage;
import io.pgpubsub.StreamPosition;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** One batch of a named consumer, in one transaction on the caller's connection. */
public final class StreamConsumerBatch {

  /** The consumer's callback, given the guarded connection of the batch's transaction. */
  @FunctionalInterface
  public interface Handler {
    void handle(Connection transaction, List<StreamEvent> events) throws Exception;
  }

  private StreamConsumerBatch() {}

  /**
   * Locks the consumer, reads up to {@code limit} events after its stored position, runs {@code handler} with
   * them and stores the new position, all in one transaction that commits at the end; any failure rolls all of
   * it back (the handler's database work and the position), so the same events come again next time.
   *
   * @return how many events were handled (0: nothing readable after the position)
   */
  public static int run(
      StreamRepository repository, Connection c, String consumer, String stream, int limit, Handler handler)
      throws Exception {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try {
      StreamPosition position = repository.lockConsumer(c, consumer, stream);
      StreamPage page = repository.read(c, stream, position, limit);
      if (page.events().isEmpty()) {
        c.commit();
        return 0;
      }
      GuardedConnection guard = GuardedConnection.of(c);
      handler.handle(guard.connection(), page.events());
      if (guard.failed()) {
        throw new IllegalStateException(
            "the handler of consumer '" + consumer + "' of stream '" + stream
                + "' returned normally but left its transaction failed (it caught an SQL error); nothing was"
                + " committed", guard.abortedBy());
      }
      repository.storeConsumer(c, consumer, stream, page.next());
      c.commit();
      return page.events().size();
    } catch (Exception | Error e) {
      try {
        c.rollback();
      } catch (SQLException r) {
        e.addSuppressed(r);
      }
      throw e;
    } finally {
      try {
        c.setAutoCommit(autoCommit);
      } catch (SQLException ignored) {
        // the connection is broken; the caller closes it
      }
    }
  }
}
