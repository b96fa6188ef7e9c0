package io.pgpubsub.relay;

import java.time.Duration;

/**
 * A relay process for the fault tests: {@code RelayChild <TestBroker class> <target> <jdbcUrl> <user> <password>
 * <channel> <workers>}. Prints {@code started} once relaying, then runs until killed (or stopped: SIGTERM
 * closes the relay).
 */
public final class RelayChild {

  private RelayChild() {}

  public static void main(String[] args) throws Exception {
    TestBroker broker = (TestBroker) Class.forName(args[0]).getConstructor().newInstance();
    Relay relay =
        Relay.builder()
            .name("child-" + ProcessHandle.current().pid())
            .jdbcUrl(args[2])
            .user(args[3])
            .password(args[4])
            .channel(args[5])
            .workers(Integer.parseInt(args[6]))
            .batchSize(50)
            .pollInterval(Duration.ofMillis(200))
            .backoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .confirmTimeout(Duration.ofSeconds(40))
            .publisher(broker.publisher(args[1]))
            .build()
            .start();
    Runtime.getRuntime().addShutdownHook(new Thread(relay::close));
    System.out.println("started");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
