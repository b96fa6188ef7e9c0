package io.pgpubsub.dashboard;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The dashboard alone in the JDK's HTTP server ({@code com.sun.net.httpserver}), at the root path, as {@code
 * pgpubsub dashboard} runs it. Bind it to 127.0.0.1 unless the network in front of it is trusted.
 */
public final class DashboardServer implements AutoCloseable {

  private final HttpServer server;
  private final ExecutorService executor;

  private DashboardServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
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
    return new DashboardServer(server, executor);
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
    server.stop(0);
    executor.shutdownNow();
  }
}
