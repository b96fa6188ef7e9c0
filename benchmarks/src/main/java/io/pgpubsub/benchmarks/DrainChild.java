package io.pgpubsub.benchmarks;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One listener process of the drain and scale-out workloads (started by {@link Drain} with {@code -Xmx256m}):
 * builds the consumer, prints READY, starts it on GO, reports progress every 50 ms, and on STOP closes it and
 * prints what it processed, when its last callback ran, and the heap it needed.
 */
public final class DrainChild {

  private DrainChild() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Consumer.Impl impl = Consumer.Impl.of(args.require("impl"));
    int capacity = args.getInt("capacity", 0);
    BenchListeners.waitNanos = 1_000L * args.getInt("callback-wait-micros", 0);
    try (HeapMonitor heap = new HeapMonitor()) {
      Recorder recorder = new Recorder(capacity);
      Consumer consumer =
          impl.create(args.require("jdbc-url"), recorder, args.getInt("workers", 2), args.getInt("batch", 200));
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      System.out.println("READY");
      System.out.flush();
      if (!"GO".equals(in.readLine())) {
        consumer.close();
        return;
      }
      long goNanos = System.nanoTime();
      long goMicros = epochMicros();
      consumer.start();
      Thread progress =
          new Thread(
              () -> {
                while (!Thread.currentThread().isInterrupted()) {
                  System.out.println("PROGRESS " + recorder.count());
                  System.out.flush();
                  try {
                    Thread.sleep(50);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "bench-progress");
      progress.setDaemon(true);
      progress.start();
      String line;
      do {
        line = in.readLine();
      } while (line != null && !line.equals("STOP"));
      progress.interrupt();
      consumer.close();
      long last = recorder.lastNanos();
      System.out.println(
          "RESULT count="
              + recorder.count()
              + " sum="
              + recorder.sum()
              + " duplicates="
              + recorder.duplicates()
              + " outOfRange="
              + recorder.outOfRange()
              + " goMicros="
              + goMicros
              + " lastMicros="
              + (last == 0 ? 0 : goMicros + (last - goNanos) / 1000)
              + " peakUsed="
              + heap.peakUsedBytes()
              + " peakAfterGc="
              + heap.peakAfterGcBytes()
              + " collections="
              + heap.collections()
              + " maxHeap="
              + heap.maxHeapBytes());
      System.out.flush();
    }
  }

  static long epochMicros() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1000;
  }
}
