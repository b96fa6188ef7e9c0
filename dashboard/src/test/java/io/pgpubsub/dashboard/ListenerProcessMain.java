package io.pgpubsub.dashboard;

import io.pgpubsub.Listener;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A listener in a JVM of its own, for tests that {@code kill -9} it: listens to channel {@code orders} until
 * killed. Arguments: JDBC URL (with its credentials), listener name. Prints {@code started} once it listens.
 */
public final class ListenerProcessMain {

  public record Order(int n) {}

  private ListenerProcessMain() {}

  public static void main(String[] args) throws Exception {
    Listener listener =
        Listener.builder()
            .jdbcUrl(args[0])
            .name(args[1])
            .channelDefinitions(List.of(DashboardBrowserTest.plain("orders", Order.class, (target, inv) -> {})))
            .build()
            .start();
    System.out.println("started " + listener);
    System.out.flush();
    new CountDownLatch(1).await(); // until killed
  }
}
