package io.pgpubsub;

import static io.pgpubsub.Fixtures.plain;
import static io.pgpubsub.Fixtures.plainListener;

import io.pgpubsub.spi.ChannelDefinition;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A listener in its own JVM, for the multi-process tests (and as a throwaway benchmark driver).
 *
 * <p>Usage: {@code ListenerProcess <jdbcUrl> <mode> <workers> <batchSize> [blockAt]}. Modes: {@code effects}
 * (each job inserts its number into {@code effects}, whose primary key proves exactly-once) until killed;
 * {@code drain} (trivial callback) until the table is empty, then prints statistics and exits 0. With
 * {@code blockAt} the callback of that job prints {@code BLOCKED} and never returns.
 */
public final class ListenerProcess {

  public record Job(long n, String pad) {}

  public static ChannelDefinition channel(ListenerProcessCallback callback) {
    return plain("jobs", Job.class, true, plainListener("ListenerProcess#on(Job,Connection)", callback::on));
  }

  @FunctionalInterface
  public interface ListenerProcessCallback {
    void on(Object target, io.pgpubsub.spi.Invocation inv) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String mode = args[1];
    int workers = Integer.parseInt(args[2]);
    int batch = Integer.parseInt(args[3]);
    long blockAt = args.length > 4 ? Long.parseLong(args[4]) : -1;
    long pid = ProcessHandle.current().pid();
    AtomicLong processed = new AtomicLong();
    ChannelDefinition channel =
        channel((t, inv) -> {
          Job job = inv.newValue(Job.class);
          if (mode.equals("effects")) {
            try (PreparedStatement ps =
                inv.resource(Connection.class).prepareStatement("insert into effects(n, pid) values (?, ?)")) {
              ps.setLong(1, job.n());
              ps.setLong(2, pid);
              ps.executeUpdate();
            }
          }
          if (job.n() == blockAt) {
            System.out.println("BLOCKED " + job.n());
            System.out.flush();
            while (true) {
              LockSupport.park();
            }
          }
          processed.incrementAndGet();
        });
    Listener listener =
        Listener.builder()
            .name("proc-" + pid)
            .jdbcUrl(url)
            .channelDefinitions(List.of(channel))
            .workers(workers)
            .batchSize(batch)
            .pollInterval(Duration.ofMillis(500))
            .reconnectDelay(Duration.ofMillis(50), Duration.ofSeconds(1))
            .build();
    Runtime.getRuntime().addShutdownHook(new Thread(listener::close, "stop-listener"));
    long t0 = System.nanoTime();
    listener.start();
    System.out.println("STARTED " + pid);
    System.out.flush();
    if (!mode.equals("drain")) {
      while (true) {
        LockSupport.park();
      }
    }
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      while (true) {
        try (ResultSet rs = s.executeQuery("select exists (select 1 from pgpubsub_notification)")) {
          rs.next();
          if (!rs.getBoolean(1)) {
            break;
          }
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    listener.close();
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf(
        "DONE processed=%d seconds=%.2f rate=%.0f/s peakHeapMB=%d maxHeapMB=%d%n",
        processed.get(),
        secs,
        processed.get() / secs,
        peak >> 20,
        Runtime.getRuntime().maxMemory() >> 20);
    System.out.flush();
    System.exit(0);
  }
}
