package io.chatbuilder.examples.studio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.chatbuilder.core.json.JsonCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The studio tests' thin adapter over Selenium's {@link ChromeDriver} (the W3C protocol is
 * Selenium's; this class only keeps the tests' small vocabulary: navigate, click, type, run a
 * script, frames, screenshot). Both executables are always passed explicitly, so Selenium
 * Manager is never consulted and nothing is downloaded.
 */
final class WebDriver implements AutoCloseable {
  private static final JsonCodec JSON = new JsonCodec();

  private final ChromeDriver driver;

  private WebDriver(ChromeDriver driver) {
    this.driver = driver;
  }

  /** Starts chromedriver on a free port and opens a headless Chromium session. */
  static WebDriver start(Path chromedriver, Path chromium, Path userDataDir, Path log) throws IOException {
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile())
        .usingAnyFreePort()
        .withLogFile(log.toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--window-size=1400,900", "--user-data-dir=" + userDataDir);
    try {
      ChromeDriver driver = new ChromeDriver(service, options);
      driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
      return new WebDriver(driver);
    } catch (org.openqa.selenium.WebDriverException e) {
      service.stop();
      throw new IOException("chromedriver did not start a session; see " + log, e);
    }
  }

  void navigate(String url) {
    call(() -> driver.get(url));
  }

  void click(String css) {
    call(() -> driver.findElement(By.cssSelector(css)).click());
  }

  void type(String css, String text) {
    call(() -> driver.findElement(By.cssSelector(css)).sendKeys(text));
  }

  /** Moves into the iframe matching {@code css}; scripts then run in its document. */
  void switchToFrame(String css) {
    call(() -> driver.switchTo().frame(driver.findElement(By.cssSelector(css))));
  }

  /** Moves back to the top-level document. */
  void switchToTop() {
    call(() -> driver.switchTo().defaultContent());
  }

  /** Runs {@code script} (a function body; use {@code return}) in the page and returns its result as JSON. */
  JsonNode execute(String script) {
    try {
      Object result = driver.executeScript(script);
      return result == null ? NullNode.getInstance() : JSON.fromJava(result);
    } catch (org.openqa.selenium.WebDriverException e) {
      throw new WebDriverException(e);
    }
  }

  void screenshot(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    byte[] png;
    try {
      png = driver.getScreenshotAs(OutputType.BYTES);
    } catch (org.openqa.selenium.WebDriverException e) {
      throw new WebDriverException(e);
    }
    Files.write(file, png);
  }

  private static void call(Runnable step) {
    try {
      step.run();
    } catch (org.openqa.selenium.WebDriverException e) {
      throw new WebDriverException(e);
    }
  }

  @Override
  public void close() {
    driver.quit();
  }

  /** An error the driver reported, e.g. "no such element" (Selenium's, wrapped to keep the tests' catch sites). */
  static final class WebDriverException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    WebDriverException(org.openqa.selenium.WebDriverException cause) {
      super(cause.getMessage(), cause);
    }
  }
}
