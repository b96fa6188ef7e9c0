package io.pgpubsub.dashboard;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium and ChromeDriver ({@code apt-get install chromium chromium-driver}), driven by Selenium,
 * headless. Paths: {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver}, or the environment variables
 * {@code PGPUBSUB_CHROMIUM} and {@code PGPUBSUB_CHROMEDRIVER}. When they are missing the tests fail with the
 * install command, unless {@code PGPUBSUB_SKIP_BROWSER_TESTS=true} asks to skip them.
 */
final class Chromium {

  static final String SKIP_ENV = "PGPUBSUB_SKIP_BROWSER_TESTS";
  /** A name this browser resolves to 127.0.0.1 (and nothing else does): a DNS-rebinding attacker's name. */
  static final String REBIND_HOST = "rebind.test";

  private Chromium() {}

  static ChromeDriver start() throws IOException {
    Path browser = Path.of(env("PGPUBSUB_CHROMIUM", "/usr/bin/chromium"));
    Path driver = Path.of(env("PGPUBSUB_CHROMEDRIVER", "/usr/bin/chromedriver"));
    if (!Files.isExecutable(browser) || !Files.isExecutable(driver)) {
      String message =
          "the dashboard's browser tests need Chromium and ChromeDriver ("
              + browser
              + ", "
              + driver
              + "): install them with `sudo apt-get install chromium chromium-driver` (Debian/Ubuntu), point"
              + " PGPUBSUB_CHROMIUM and PGPUBSUB_CHROMEDRIVER at them, or set "
              + SKIP_ENV
              + "=true to skip these tests";
      if ("true".equalsIgnoreCase(System.getenv(SKIP_ENV))) {
        Assumptions.abort(message);
      }
      fail(message);
    }
    Path profile = Files.createTempDirectory("pgpubsub-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(browser.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1500",
        // a DNS name that resolves to this machine, as a DNS-rebinding attacker's name would
        "--host-resolver-rules=MAP " + REBIND_HOST + " 127.0.0.1",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile()).usingAnyFreePort().build();
    ChromeDriver chrome = new ChromeDriver(service, options);
    chrome.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    return chrome;
  }

  /** Saves what the browser shows to {@code target/screenshots/<name>.png} (and returns that path). */
  static Path screenshot(WebDriver driver, String name) throws IOException {
    Path dir = Path.of("target", "screenshots");
    Files.createDirectories(dir);
    Path file = dir.resolve(name + ".png");
    Path shot = ((ChromeDriver) driver).getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, file, StandardCopyOption.REPLACE_EXISTING);
    return file;
  }

  /**
   * With {@code -Dpgpubsub.docs.screenshots=DIR}, saves what the browser shows (after scrolling {@code
   * sectionId} into view, when given) as {@code DIR/<name>.png}: the documentation's screenshot of a view.
   */
  static void docs(WebDriver driver, String name, String sectionId) throws IOException {
    String dir = System.getProperty("pgpubsub.docs.screenshots");
    if (dir == null || dir.isBlank()) {
      return;
    }
    if (sectionId != null) {
      ((org.openqa.selenium.JavascriptExecutor) driver)
          .executeScript("document.getElementById(arguments[0]).scrollIntoView()", sectionId);
    }
    Files.copy(screenshot(driver, "docs-" + name), Path.of(dir, name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? fallback : v;
  }
}
