package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.NotificationTable;
import io.pgpubsub.testing.PostgresExtension.PostgresTest;
import io.pgpubsub.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * {@link DashboardServlet} in a real servlet container (embedded Tomcat), mapped under a sub-path as a Spring
 * Boot application would map it: the page works there (relative URLs), and writes need CSRF and the token.
 */
@PostgresTest
@Timeout(120)
class DashboardServletTest {

  @Test
  void servesThePageUnderASubPathOfAServletContainer(TestDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      NotificationTable.install(c, "public");
    }
    db.execute("insert into pgpubsub_notification(channel, payload, attempts, dead_at, last_error) values"
        + " ('invoices', '{\"n\": 1}', 3, now(), 'java.io.IOException: disk full')");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createTempDirectory("pgpubsub-tomcat").toString());
    tomcat.setPort(0);
    Context context = tomcat.addContext("/app", null);
    Dashboard dashboard = Dashboard.builder(db.dataSource()).token("t0ken").refresh(Duration.ofSeconds(1)).build();
    Tomcat.addServlet(context, "pgpubsub-dashboard", new DashboardServlet(dashboard));
    context.addServletMappingDecoded("/ops/pgpubsub/*", "pgpubsub-dashboard");
    // one that names the host it is opened by: the Host check is on
    Tomcat.addServlet(
        context,
        "strict-dashboard",
        new DashboardServlet(
            Dashboard.builder(db.dataSource()).allowedHosts(java.util.List.of("app.example.com")).build()));
    context.addServletMappingDecoded("/ops/strict/*", "strict-dashboard");
    tomcat.getConnector(); // creates the default connector
    tomcat.start();
    ChromeDriver browser = null;
    try {
      int port = tomcat.getConnector().getLocalPort();
      String base = "http://127.0.0.1:" + port + "/app/ops/pgpubsub/";
      HttpClient http = HttpClient.newHttpClient();

      HttpResponse<String> bare =
          http.send(HttpRequest.newBuilder(URI.create(base.substring(0, base.length() - 1))).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(bare.statusCode()).isEqualTo(308);
      assertThat(bare.headers().firstValue("location")).hasValue("/app/ops/pgpubsub/");

      HttpResponse<String> page =
          http.send(HttpRequest.newBuilder(URI.create(base)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("content-security-policy")).hasValueSatisfying(v -> assertThat(v).contains("script-src 'self'"));
      String cookie = page.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
      Matcher csrf = Pattern.compile("name=\"pgpubsub-csrf\" content=\"([^\"]+)\"").matcher(page.body());
      assertThat(csrf.find()).isTrue();

      // no SQL from request strings: an unknown channel or a class name that is not one is refused
      assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "api/dead?channel=x%27%20OR%201=1--")).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
      assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "api/dead?error=a%27;drop")).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);

      HttpRequest.Builder retry =
          HttpRequest.newBuilder(URI.create(base + "api/dead/retry"))
              .header("Content-Type", "application/json")
              .header("Cookie", cookie)
              .POST(HttpRequest.BodyPublishers.ofString("{\"channel\":\"invoices\"}"));
      assertThat(http.send(retry.copy().header("X-CSRF-Token", csrf.group(1)).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode())
          .as("no write token")
          .isEqualTo(403);
      assertThat(http.send(retry.copy().header("X-Pgpubsub-Token", "t0ken").build(),
              HttpResponse.BodyHandlers.ofString()).statusCode())
          .as("no CSRF token")
          .isEqualTo(403);
      assertThat(http.send(retry.copy().header("X-Pgpubsub-Token", "t0ken").header("X-CSRF-Token", "forged.value").build(),
              HttpResponse.BodyHandlers.ofString()).statusCode())
          .as("a CSRF token that is not the cookie's")
          .isEqualTo(403);

      // the page itself, in the browser, under the sub-path
      browser = Chromium.start();
      browser.get(base);
      ChromeDriver b = browser;
      new WebDriverWait(browser, Duration.ofSeconds(30))
          .until(d -> !b.findElements(By.cssSelector("#dead tbody tr")).isEmpty());
      assertThat((String) b.executeScript("return document.querySelector('#channels td.dead').textContent"))
          .isEqualTo("1");
      assertThat(b.executeScript("return typeof Chart.getChart(document.getElementById('lag-chart'))"))
          .as("Chart.js loaded from the webjar under the sub-path")
          .isEqualTo("object");
      Chromium.screenshot(browser, "dashboard-servlet");

      // in a servlet container the Host check is the application's until hosts are named
      b.get("http://" + Chromium.REBIND_HOST + ":" + port + "/app/ops/pgpubsub/api/overview");
      assertThat(b.findElement(By.tagName("body")).getText()).contains("\"channel\":\"invoices\"");
      b.get("http://" + Chromium.REBIND_HOST + ":" + port + "/app/ops/strict/api/overview");
      assertThat(b.findElement(By.tagName("body")).getText())
          .contains("Host 'rebind.test:" + port + "' is not allowed")
          .doesNotContain("invoices");
      b.get("http://127.0.0.1:" + port + "/app/ops/strict/api/overview");
      assertThat(b.findElement(By.tagName("body")).getText()).contains("\"channel\":\"invoices\"");

      HttpResponse<String> ok =
          http.send(retry.copy().header("X-Pgpubsub-Token", "t0ken").header("X-CSRF-Token", csrf.group(1)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).isEqualTo("{\"changed\":1}");
    } finally {
      if (browser != null) {
        browser.quit();
      }
      tomcat.stop();
      tomcat.destroy();
    }
  }
}
