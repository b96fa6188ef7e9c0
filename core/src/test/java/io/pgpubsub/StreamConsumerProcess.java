package io.pgpubsub;

import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A named consumer in a child JVM ({@link StreamConsumerTest}): it applies each event's {@code n} to the table
 * {@code applied} in the batch's transaction; at event {@code blockAt} (-1: never) it prints {@code BLOCKED}
 * with that batch's rows inserted but not committed, and waits to be killed.
 *
 * <p>Arguments: jdbcUrl (with credentials) stream consumer blockAt
 */
public final class StreamConsumerProcess {

  public static void main(String[] args) throws Exception {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(args[0]);
    int blockAt = Integer.parseInt(args[3]);
    CountDownLatch forever = new CountDownLatch(1);
    StreamConsumer consumer =
        StreamConsumer.builder(ds, args[1], args[2])
            .batchSize(25)
            .pollInterval(Duration.ofMillis(20))
            .handler(
                (tx, events) -> {
                  for (StreamEvent e : events) {
                    int n = e.payloadAs(StreamTest.Ev.class).n();
                    try (PreparedStatement ps = tx.prepareStatement("insert into applied(n) values (?)")) {
                      ps.setInt(1, n);
                      ps.executeUpdate();
                    }
                    if (n == blockAt) {
                      System.out.println("BLOCKED at " + n);
                      System.out.flush();
                      forever.await();
                    }
                  }
                })
            .start();
    System.out.println("STARTED");
    System.out.flush();
    Runtime.getRuntime().addShutdownHook(new Thread(consumer::close));
    forever.await();
  }

  private StreamConsumerProcess() {}
}
