package io.chatbuilder.runtime.vite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.chatbuilder.core.json.JsonCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;

/**
 * Headless Chromium through Selenium's {@link ChromeDriver}: what these tests need to open a preview in
 * a real browser (navigate, run a script, frames, a real click and hover). Like the studio's browser
 * tests, it needs Debian's {@code chromium} and {@code chromium-driver} ({@code CHROMIUM_BIN},
 * {@code CHROMEDRIVER_BIN} override the paths), always passed explicitly so Selenium Manager is never
 * consulted and nothing is downloaded; without them the test is skipped, and under {@code CI=true} it
 * fails.
 */
final class HeadlessChromium implements AutoCloseable {
  private static final JsonCodec JSON = new JsonCodec();

  private final ChromeDriver driver;

  private HeadlessChromium(ChromeDriver driver) {
    this.driver = driver;
  }

  static HeadlessChromium start(Path profile, Path log) throws IOException {
    Path chromium = executable("CHROMIUM_BIN", "/usr/bin/chromium");
    Path chromedriver = executable("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
    Files.createDirectories(log.getParent());
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile())
        .usingAnyFreePort()
        .withLogFile(log.toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1000,800", "--user-data-dir=" + profile);
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
      return new HeadlessChromium(driver);
    } catch (WebDriverException e) {
      service.stop();
      throw new IOException("chromedriver did not start a session; see " + log, e);
    }
  }

  private static Path executable(String variable, String fallback) {
    Path path = Path.of(System.getenv().getOrDefault(variable, fallback));
    if (!Files.isExecutable(path)) {
      String message = path + " is missing: install Debian's chromium and chromium-driver (or set " + variable + ")";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError("CI=true but " + message);
      }
      Assumptions.abort(message);
    }
    return path;
  }

  void navigate(String url) {
    driver.get(url);
  }

  /** Runs {@code script} (a function body; use {@code return}) in the page; its result as JSON. */
  JsonNode execute(String script) {
    Object result = driver.executeScript(script);
    return result == null ? NullNode.getInstance() : JSON.fromJava(result);
  }

  /** Moves the commands to the page's {@code index}-th frame (an iframe), or back to the top with {@link #topFrame()}. */
  void frame(int index) {
    driver.switchTo().frame(index);
  }

  void topFrame() {
    driver.switchTo().defaultContent();
  }

  /** A real click (the browser's input pipeline, trusted events) on the first element matching {@code css}. */
  void click(String css) {
    driver.findElement(By.cssSelector(css)).click();
  }

  /** Moves the real mouse pointer onto the centre of the first element matching {@code css}. */
  void hover(String css) {
    new Actions(driver).moveToElement(driver.findElement(By.cssSelector(css))).perform();
  }

  @Override
  public void close() {
    driver.quit();
  }
}
