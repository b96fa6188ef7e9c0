package io.pgpubsub.web;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Mounts a {@link PushEndpoint} in a servlet container. Register it with async support on ({@code
 * setAsyncSupported(true)}; Spring Boot's registration beans have it on by default). When the container stops
 * the servlet, it closes the endpoint: open streams end, clients reconnect elsewhere.
 */
public class PushServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  private final transient PushEndpoint endpoint;

  public PushServlet(PushEndpoint endpoint) {
    this.endpoint = java.util.Objects.requireNonNull(endpoint, "endpoint");
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
    endpoint.handle(request, response);
  }

  @Override
  public void destroy() {
    endpoint.close();
  }
}
