package io.pgpubsub.web;

import java.nio.file.Files;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;

/** One application node: an embedded Tomcat serving a {@link PushEndpoint} at {@code /app/events}. */
final class SseNode implements AutoCloseable {

  final Tomcat tomcat;
  final PushEndpoint endpoint;
  final String url;

  SseNode(PushEndpoint endpoint) throws Exception {
    this(endpoint, 0);
  }

  SseNode(PushEndpoint endpoint, int port) throws Exception {
    this.endpoint = endpoint;
    tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("pgpubsub-web-tomcat").toString());
    tomcat.setPort(port);
    Context context = tomcat.addContext("/app", null);
    Wrapper servlet = Tomcat.addServlet(context, "events", new PushServlet(endpoint));
    servlet.setAsyncSupported(true);
    context.addServletMappingDecoded("/events", "events");
    tomcat.getConnector();
    tomcat.start();
    url = "http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + "/app/events";
  }

  int port() {
    return tomcat.getConnector().getLocalPort();
  }

  @Override
  public void close() throws Exception {
    tomcat.stop(); // destroys the servlet, which closes the endpoint
    tomcat.destroy();
    endpoint.close();
  }
}
