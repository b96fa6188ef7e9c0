package io.pgpubsub;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A WAL-transport listener in its own JVM, for {@link WalKillTest}: {@code WalListenerProcess <jdbcUrl> <slot>}.
 * Its callbacks record each change in {@code effects} (a change applied twice would fail the primary key) and
 * take a millisecond, so that a kill lands in the middle of batches. Its name is {@code p<pid>}.
 */
public final class WalListenerProcess {

  public static void main(String[] args) throws Exception {
    long pid = ProcessHandle.current().pid();
    io.pgpubsub.spi.ListenerDefinition slow =
        new io.pgpubsub.spi.ListenerDefinition(
            "Wal#slow(Item)", io.pgpubsub.spi.ListenerKind.POST_SAVE, Fixtures.class, true,
            (t, inv) -> LockSupport.parkNanos(1_000_000));
    try (Listener l =
        Listener.builder()
            .jdbcUrl(args[0])
            .name("p" + pid)
            .channelDefinitions(List.of(WalTransportTest.channel(WalTransportTest.recorder(), slow)))
            .transport(Transport.WAL)
            .walSlot(args[1])
            .workers(3)
            .batchSize(20)
            .reconnectDelay(Duration.ofMillis(50), Duration.ofMillis(500))
            .build()
            .start()) {
      System.out.println("STARTED " + pid);
      System.out.flush();
      while (true) {
        LockSupport.park();
      }
    }
  }
}
