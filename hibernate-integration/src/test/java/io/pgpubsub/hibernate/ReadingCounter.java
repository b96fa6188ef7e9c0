package io.pgpubsub.hibernate;

import io.pgpubsub.PostInsertListener;
import io.pgpubsub.hibernate.model.Reading;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Counts the callbacks per reading id (the wake-up test); the callback of one id can be held at a gate. */
public class ReadingCounter {

  final ConcurrentHashMap<Long, AtomicInteger> calls = new ConcurrentHashMap<>();
  /** The callback of {@link #gatedId} waits here (at most 30 s), after entering {@link #atGate}. */
  final CountDownLatch gate = new CountDownLatch(1);
  final CountDownLatch atGate = new CountDownLatch(1);
  volatile long gatedId = -1;

  @PostInsertListener
  public void inserted(Reading r) throws InterruptedException {
    if (r.id == gatedId) {
      atGate.countDown();
      gate.await(30, TimeUnit.SECONDS);
    }
    calls.computeIfAbsent(r.id, k -> new AtomicInteger()).incrementAndGet();
  }
}
