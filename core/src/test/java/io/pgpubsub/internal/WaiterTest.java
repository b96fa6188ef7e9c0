package io.pgpubsub.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The wake-up primitive alone (no database involved): who is woken, and that no wake-up is lost. */
@Timeout(30)
class WaiterTest {

  @Test
  void wakeWakesTheWorkerThatWentToSleepLast() throws Exception {
    Waiter w = new Waiter();
    long seen = w.generation();
    CompletableFuture<Boolean> first = sleeper(w, seen);
    awaitSleeping(w, 1);
    CompletableFuture<Boolean> second = sleeper(w, seen);
    awaitSleeping(w, 2);

    w.wake();
    assertThat(second.get(10, TimeUnit.SECONDS)).as("the last to sleep is woken").isTrue();
    assertThat(w.sleeping()).as("the other one sleeps on").isEqualTo(1);
    assertThat(first).isNotDone();

    w.wakeAll();
    assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(w.sleeping()).isZero();
  }

  @Test
  void aWakeWhileBusyMakesTheNextWaitReturnAtOnce() throws Exception {
    Waiter w = new Waiter();
    long seen = w.generation();
    w.wake(); // nobody sleeps: a worker in the middle of a batch
    assertThat(w.await(seen, TimeUnit.HOURS.toNanos(1))).isTrue();
    assertThat(w.await(w.generation(), TimeUnit.MILLISECONDS.toNanos(1))).as("times out").isFalse();
    assertThat(w.sleeping()).isZero();
  }

  private static CompletableFuture<Boolean> sleeper(Waiter w, long seen) {
    CompletableFuture<Boolean> f = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                f.complete(w.await(seen, TimeUnit.SECONDS.toNanos(20)));
              } catch (Throwable e) {
                f.completeExceptionally(e);
              }
            });
    t.setDaemon(true);
    t.start();
    return f;
  }

  private static void awaitSleeping(Waiter w, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (w.sleeping() < n) {
      assertThat(System.nanoTime() - deadline).as("%d sleepers", n).isNegative();
      Thread.onSpinWait();
    }
  }
}
