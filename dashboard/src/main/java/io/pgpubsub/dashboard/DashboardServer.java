package io.pgpubsub.dashboard;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dashboard alone in the JDK's HTTP server ({@code com.sun.net.httpserver}), at the root path, as {@code
 * pgpubsub dashboard} runs it. Bind it to 127.0.0.1 unless the network in front of it is trusted.
 */
public final class DashboardServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor;
  private final ScheduledExecutorService sampler;

  private DashboardServer(HttpServer server, ExecutorService executor, ScheduledExecutorService sampler) {
    this.server = server;
    this.executor = executor;
    this.sampler = sampler;
  }

  /** Starts serving {@code dashboard} at {@code address} (port 0 picks a free port). */
  public static DashboardServer start(Dashboard dashboard, InetSocketAddress address) throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads =
        r -> {
          Thread t = new Thread(r, "pgpubsub-dashboard-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    ExecutorService executor = Executors.newFixedThreadPool(4, threads);
    server.setExecutor(executor);
    server.createContext("/", dashboard.httpHandler());
    server.start();
    ScheduledExecutorService sampler = null;
    Duration every = dashboard.historyInterval();
    if (every != null) { // history from the tables, also while no page is open
      sampler =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "pgpubsub-dashboard-history");
                t.setDaemon(true);
                return t;
              });
      sampler.scheduleWithFixedDelay(dashboard::sampleHistory, 0, every.toMillis(), TimeUnit.MILLISECONDS);
    }
    return new DashboardServer(server, executor, sampler);
  }

  /** The address it listens on (with the actual port). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** {@code http://host:port/}. */
  public String url() {
    InetSocketAddress a = server.getAddress();
    String host = a.getAddress().getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + a.getPort() + "/";
  }

  @Override
  public void close() {
    if (sampler != null) {
      sampler.shutdownNow();
    }
    server.stop(0);
    executor.shutdownNow();
  }
}
