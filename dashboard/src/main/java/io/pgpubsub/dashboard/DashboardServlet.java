package io.pgpubsub.dashboard;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;

/**
 * Serves a {@link Dashboard} in a servlet container (Jakarta Servlet 5+), for example with Spring Boot:
 *
 * <pre>{@code
 * @Bean
 * ServletRegistrationBean<DashboardServlet> pgpubsubDashboard(DataSource dataSource) {
 *   return new ServletRegistrationBean<>(
 *       new DashboardServlet(Dashboard.builder(dataSource).allowWritesWithoutToken().build()), "/ops/pgpubsub/*");
 * }
 * }</pre>
 *
 * Map it to a path ending in {@code /*}; the page is at that path with a trailing slash.
 */
public final class DashboardServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;
  private static final int MAX_BODY = 64 * 1024;

  private final transient Dashboard dashboard;

  public DashboardServlet(Dashboard dashboard) {
    this.dashboard = dashboard;
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    String info = req.getPathInfo();
    if (info == null) {
      String q = req.getQueryString();
      resp.setStatus(308);
      resp.setHeader("Location", req.getRequestURI() + "/" + (q == null ? "" : "?" + q));
      return;
    }
    byte[] body;
    try (InputStream in = req.getInputStream()) {
      body = in.readNBytes(MAX_BODY + 1);
    }
    if (body.length > MAX_BODY) {
      resp.sendError(413, "request body too large");
      return;
    }
    Dashboard.Response r =
        dashboard.handle(
            new Dashboard.Request(
                req.getMethod(),
                info.substring(1),
                req.getQueryString(),
                req::getHeader,
                body,
                req.getRemoteUser() != null ? req.getRemoteUser() : req.getRemoteAddr(),
                true));
    resp.setStatus(r.status());
    r.headers().forEach(resp::setHeader);
    resp.setContentType(r.contentType());
    if (!req.getMethod().equals("HEAD")) {
      resp.setContentLength(r.body().length);
      resp.getOutputStream().write(r.body());
    }
  }
}
