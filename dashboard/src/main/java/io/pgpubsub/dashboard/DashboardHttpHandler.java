package io.pgpubsub.dashboard;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Serves a {@link Dashboard} in the JDK's HTTP server, under the path of the context it is mounted at. */
final class DashboardHttpHandler implements HttpHandler {

  private static final int MAX_BODY = 64 * 1024;

  private final Dashboard dashboard;

  DashboardHttpHandler(Dashboard dashboard) {
    this.dashboard = dashboard;
  }

  /** The authenticated user (an Authenticator on the context), else the client's address. */
  private static String who(HttpExchange exchange) {
    if (exchange.getPrincipal() != null) {
      return exchange.getPrincipal().getName();
    }
    java.net.InetSocketAddress a = exchange.getRemoteAddress();
    return a == null ? null : a.getAddress().getHostAddress();
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String context = exchange.getHttpContext().getPath();
      String full = exchange.getRequestURI().getPath();
      String base = context.endsWith("/") ? context : context + "/";
      if (full.equals(context) && !context.endsWith("/")) {
        exchange.getResponseHeaders().set("Location", base);
        exchange.sendResponseHeaders(308, -1);
        return;
      }
      String path = full.length() >= base.length() ? full.substring(base.length()) : "";
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_BODY + 1);
      }
      if (body.length > MAX_BODY) {
        exchange.sendResponseHeaders(413, -1);
        return;
      }
      Dashboard.Response r =
          dashboard.handle(
              new Dashboard.Request(
                  exchange.getRequestMethod(),
                  path,
                  exchange.getRequestURI().getRawQuery(),
                  exchange.getRequestHeaders()::getFirst,
                  body,
                  who(exchange),
                  false));
      r.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
      exchange.getResponseHeaders().set("Content-Type", r.contentType());
      boolean head = exchange.getRequestMethod().equals("HEAD");
      exchange.sendResponseHeaders(r.status(), head ? -1 : r.body().length == 0 ? -1 : r.body().length);
      if (!head && r.body().length > 0) {
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(r.body());
        }
      }
    }
  }
}
