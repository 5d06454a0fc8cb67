package io.chatbuilder.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.chatbuilder.core.json.JsonCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium through Selenium's {@link ChromeDriver} (navigate, run a script), for B13. Needs
 * Debian's {@code chromium} and {@code chromium-driver} ({@code CHROMIUM_BIN}, {@code CHROMEDRIVER_BIN}
 * override the paths), always passed explicitly so Selenium Manager is never consulted. B13's times
 * come from the page's own clock, so the driver's per-command cost is not in them.
 */
final class Chromium implements AutoCloseable {
  private static final JsonCodec JSON = new JsonCodec();

  private final ChromeDriver driver;

  private Chromium(ChromeDriver driver) {
    this.driver = driver;
  }

  static Path executable(String variable, String fallback) {
    Path path = Path.of(System.getenv().getOrDefault(variable, fallback));
    if (!Files.isExecutable(path)) {
      throw new IllegalStateException(path + " is missing: install Debian's chromium and chromium-driver (or set " + variable + ")");
    }
    return path;
  }

  static Chromium start(Path profile, Path log) {
    Path chromium = executable("CHROMIUM_BIN", "/usr/bin/chromium");
    Path chromedriver = executable("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
    try {
      Files.createDirectories(profile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile())
        .usingAnyFreePort()
        .withLogFile(log.toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1000,800", "--user-data-dir=" + profile.resolve("profile"));
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
      return new Chromium(driver);
    } catch (WebDriverException e) {
      service.stop();
      throw new IllegalStateException("chromedriver did not start a session; see " + log, e);
    }
  }

  void navigate(String url) {
    try {
      driver.get(url);
    } catch (WebDriverException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * Runs {@code script} (a function body; use {@code return}) in the page; its result as JSON.
   *
   * @throws IllegalStateException if the driver reports an error (e.g. the page is between documents)
   */
  JsonNode execute(String script) {
    try {
      Object result = driver.executeScript(script);
      return result == null ? NullNode.getInstance() : JSON.fromJava(result);
    } catch (WebDriverException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    driver.quit();
  }
}
