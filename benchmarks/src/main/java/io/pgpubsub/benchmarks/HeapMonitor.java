package io.pgpubsub.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The heap a process needed: the highest heap use seen (sampled every 5 ms, and the heap just before every
 * collection), and the highest heap still in use just after a collection (the live set, what {@code -Xmx}
 * must at least hold).
 */
final class HeapMonitor implements AutoCloseable {

  private final AtomicLong peakUsed = new AtomicLong();
  private final AtomicLong peakAfterGc = new AtomicLong();
  private final AtomicLong collections = new AtomicLong();
  private final Thread sampler;
  private final NotificationListener onGc;
  private volatile boolean stop;

  HeapMonitor() {
    onGc =
        (notification, handback) -> {
          if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
          }
          GarbageCollectionNotificationInfo info =
              GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
          collections.incrementAndGet();
          peakUsed.accumulateAndGet(sum(info.getGcInfo().getMemoryUsageBeforeGc()), Math::max);
          peakAfterGc.accumulateAndGet(sum(info.getGcInfo().getMemoryUsageAfterGc()), Math::max);
        };
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter) {
        ((NotificationEmitter) gc).addNotificationListener(onGc, null, null);
      }
    }
    sampler =
        new Thread(
            () -> {
              while (!stop) {
                peakUsed.accumulateAndGet(
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
                try {
                  Thread.sleep(5);
                } catch (InterruptedException e) {
                  return;
                }
              }
            },
            "bench-heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Heap pools only (the GC info also lists non-heap pools such as Metaspace and the code cache). */
  private static long sum(Map<String, MemoryUsage> pools) {
    long total = 0;
    for (var e : pools.entrySet()) {
      String name = e.getKey();
      if (name.contains("Eden") || name.contains("Survivor") || name.contains("Old") || name.contains("Tenured")
          || name.contains("Humongous")) {
        total += e.getValue().getUsed();
      }
    }
    return total;
  }

  long peakUsedBytes() {
    return peakUsed.get();
  }

  long peakAfterGcBytes() {
    return peakAfterGc.get();
  }

  long collections() {
    return collections.get();
  }

  long maxHeapBytes() {
    return Runtime.getRuntime().maxMemory();
  }

  @Override
  public void close() {
    stop = true;
    sampler.interrupt();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter) {
        try {
          ((NotificationEmitter) gc).removeNotificationListener(onGc);
        } catch (javax.management.ListenerNotFoundException e) {
          // already gone
        }
      }
    }
  }
}
