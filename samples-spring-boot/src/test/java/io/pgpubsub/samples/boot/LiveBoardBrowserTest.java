package io.pgpubsub.samples.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The live orders board (board.html) in headless Chromium (Debian's chromium and chromedriver, as the dashboard's
 * browser tests use them), against the sample application on a real PostgreSQL.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LiveBoardBrowserTest {

  static TestDatabase db;
  static int port;
  static ConfigurableApplicationContext app;
  static ChromeDriver browser;
  static final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    db = PostgresServer.get().createDatabase("live_board");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    app = startApp();
    browser = chromium();
  }

  @AfterAll
  static void stop() {
    try {
      if (browser != null) {
        browser.quit();
      }
      if (app != null) {
        app.close();
      }
    } finally {
      db.close();
    }
  }

  static ConfigurableApplicationContext startApp() {
    List<String> args = new ArrayList<>(List.of(
        "--spring.datasource.url=" + db.jdbcUrl(),
        "--server.port=" + port,
        "--server.address=127.0.0.1",
        "--pgpubsub.web.reconnect-delay=300ms"));
    if (db.user() != null) {
      args.add("--spring.datasource.username=" + db.user());
    }
    if (db.password() != null) {
      args.add("--spring.datasource.password=" + db.password());
    }
    return new SpringApplicationBuilder(ShopApplication.class).run(args.toArray(String[]::new));
  }

  static ChromeDriver chromium() throws Exception {
    Path binary = Path.of(env("PGPUBSUB_CHROMIUM", "/usr/bin/chromium"));
    Path driver = Path.of(env("PGPUBSUB_CHROMEDRIVER", "/usr/bin/chromedriver"));
    if (!Files.isExecutable(binary) || !Files.isExecutable(driver)) {
      String message = "the live board's browser tests need Chromium and ChromeDriver (" + binary + ", " + driver
          + "): `sudo apt-get install chromium chromium-driver`, or PGPUBSUB_SKIP_BROWSER_TESTS=true to skip them";
      if ("true".equalsIgnoreCase(System.getenv("PGPUBSUB_SKIP_BROWSER_TESTS"))) {
        Assumptions.abort(message);
      }
      fail(message);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(binary.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-dev-shm-usage",
        "--user-data-dir=" + Files.createTempDirectory("pgpubsub-chromium-"));
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }

  static long placeOrder(String customer) throws Exception {
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/orders"))
            .header("Content-Type", "application/json")
            .header("X-User", "clerk")
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"customer\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(customer) + ",\"amount\":12.50}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return Long.parseLong(r.body().replaceAll("\\D+", ""));
  }

  static Object js(String script) {
    return ((JavascriptExecutor) browser).executeScript(script);
  }

  static <T> T await(Duration timeout, Supplier<T> value, java.util.function.Predicate<T> done, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    T v = value.get();
    while (!done.test(v)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what + "; last " + v);
      }
      Thread.sleep(20);
      v = value.get();
    }
    return v;
  }

  static String customerCell(long id) {
    Object text = js("const tr = document.querySelector('#orders tr[data-id=\"" + id + "\"]');"
        + " return tr ? tr.children[1].textContent : null;");
    return (String) text;
  }

  static void openBoard() throws InterruptedException {
    browser.get("http://127.0.0.1:" + port + "/board.html");
    await(Duration.ofSeconds(30), () -> browser.findElement(By.id("state")).getText(), "live"::equals, "the board live");
  }

  @Test
  void theBoardShowsARestChangeWithinOneSecondAndAHostileFieldAsText() throws Exception {
    openBoard();
    String hostile = "<img src=x onerror=\"window.__pwned=1\">";
    long id = placeOrder(hostile);
    long posted = System.nanoTime();
    await(Duration.ofSeconds(10), () -> customerCell(id), v -> v != null, "order " + id + " on the board");
    long shownMs = (System.nanoTime() - posted) / 1_000_000;
    System.out.println("LiveBoardBrowserTest: the order was on the board " + shownMs + " ms after the POST returned");
    assertThat(shownMs).as("shown within 1 s of the REST call").isLessThanOrEqualTo(1000);
    assertThat(customerCell(id)).isEqualTo(hostile);
    assertThat(js("return document.querySelectorAll('#orders img, #log img').length")).isEqualTo(0L);
    assertThat(js("return window.__pwned === undefined")).isEqualTo(true);
  }

  @Test
  void afterAServerRestartTheFiveChangesWrittenWhileItWasDownAppearOnceInOrder() throws Exception {
    openBoard();
    long before = placeOrder("before the restart");
    await(Duration.ofSeconds(10), () -> customerCell(before), v -> v != null, "order " + before);

    app.close();
    await(Duration.ofSeconds(30), () -> browser.findElement(By.id("state")).getText(), "reconnecting"::equals,
        "the page notices the server is gone");
    List<Long> written = new ArrayList<>();
    try (Connection c = db.connect(); Statement s = c.createStatement()) {
      for (int i = 1; i <= 5; i++) {
        var rs = s.executeQuery("insert into shop_order (customer, amount, status, updated_at)"
            + " values ('while down " + i + "', 1.00, 'PLACED', now()) returning id");
        rs.next();
        written.add(rs.getLong(1));
      }
    }
    app = startApp();

    List<String> expected = written.stream().map(id -> "insert " + id + " PLACED").toList();
    @SuppressWarnings("unchecked")
    List<String> inserts = await(Duration.ofSeconds(60),
        () -> ((List<Object>) js("return Array.from(document.querySelectorAll('#log li'))"
            + ".map(li => li.textContent).filter(t => t.startsWith('insert') && t.includes('PLACED'))"))
            .stream().map(String::valueOf).filter(t -> written.stream().anyMatch(id -> t.startsWith("insert " + id + " ")))
            .toList(),
        l -> l.size() >= 5, "the 5 inserts written while the server was down");
    assertThat(inserts).as("all five, once each, in order").isEqualTo(expected);
    @SuppressWarnings("unchecked")
    List<Object> positions = (List<Object>) js("return Array.from(document.querySelectorAll('#log li')).map(li => li.dataset.position)");
    assertThat(positions).as("no event twice").doesNotHaveDuplicates();
    for (long id : written) {
      assertThat(customerCell(id)).isNotNull();
    }
  }
}
