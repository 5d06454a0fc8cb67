package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;

/**
 * The studio's browser tests' shared steps over {@link WebDriver} (Selenium underneath): start headless Chromium (skipped
 * without it, failing under {@code CI=true}), wait for a condition in the page or in the preview
 * frame, read text, take screenshots to {@code target/screenshots/}.
 */
final class StudioBrowser implements AutoCloseable {
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  final WebDriver driver;
  private final String prefix;
  private final Duration wait;

  private StudioBrowser(WebDriver driver, String prefix, Duration wait) {
    this.driver = driver;
    this.prefix = prefix;
    this.wait = wait;
  }

  static StudioBrowser start(Path profile, String prefix, Duration wait) throws Exception {
    Path chromium = executable("CHROMIUM_BIN", "/usr/bin/chromium");
    Path chromedriver = executable("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
    Files.createDirectories(SCREENSHOTS);
    return new StudioBrowser(WebDriver.start(chromedriver, chromium, profile, Path.of("target", "chromedriver-" + prefix + ".log")),
        prefix, wait);
  }

  private static Path executable(String variable, String fallback) {
    Path path = Path.of(Optional.ofNullable(System.getenv(variable)).filter(v -> !v.isBlank()).orElse(fallback));
    if (!Files.isExecutable(path)) {
      String message = path + " is missing: install Debian's chromium and chromium-driver (or set " + variable
          + ") to run the studio's browser tests";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(message + " (CI=true: the browser tests must run)");
      }
      Assumptions.abort(message);
    }
    return path;
  }

  /**
   * Skips where bubblewrap cannot run node isolated (the Vite studio tests need it), except under
   * {@code CI=true}, where it fails.
   */
  static void requireIsolatedNode(Path scratch) throws Exception {
    Path probe = Files.createDirectories(scratch.resolve("bwrap-probe"));
    String reason;
    try (io.chatbuilder.sandbox.local.LocalSandbox sandbox = io.chatbuilder.sandbox.local.LocalSandbox.builder(probe).build()) {
      io.chatbuilder.core.sandbox.CommandResult r = sandbox.run(io.chatbuilder.core.sandbox.CommandRequest.of("node", "-e", "0"),
          io.chatbuilder.core.sandbox.CommandListener.NONE, new io.chatbuilder.core.Cancellation());
      if (r.succeeded() && r.isolated()) {
        return;
      }
      reason = "node did not run isolated: " + r.stderr();
    } catch (io.chatbuilder.core.ChatBuilderException e) {
      reason = e.getMessage();
    }
    reason = "the Vite studio test needs bubblewrap, socat and node: " + reason;
    if ("true".equals(System.getenv("CI"))) {
      fail("CI=true but " + reason);
    }
    Assumptions.abort(reason);
  }

  /** Opens the studio, creates {@code appId} from {@code template} and waits until it is open. */
  void createApp(Studio studio, String appId, String template) throws Exception {
    driver.navigate(studio.url().toString());
    waitFor("the UI to load", "return document.body.dataset.ready === 'true'");
    if (template != null) {
      driver.click("#template-select option[value='" + template + "']");
    }
    driver.type("#new-app-id", appId);
    driver.click("#create-app-btn");
    waitFor("the new app to open", "return document.getElementById('app-select').value === '" + appId + "'");
  }

  void chat(String message) {
    driver.type("#chat-input", message);
    driver.click("#send-btn");
  }

  String text(String css) {
    return script("return document.querySelector(\"" + css.replace("\"", "\\\"") + "\").textContent").asText();
  }

  JsonNode script(String js) {
    return driver.execute(js);
  }

  void waitFor(String what, String js) throws Exception {
    waitFor(what, () -> script(js).asBoolean(false));
  }

  /** Whether {@code js} holds inside the preview, which has its own origin (the driver steps into the frame). */
  boolean inPreview(String js) {
    try {
      driver.switchToFrame("#preview");
      return script("return " + js).asBoolean(false);
    } catch (WebDriver.WebDriverException reloading) {
      return false;
    } finally {
      driver.switchToTop();
    }
  }

  void waitForPreview(String what, String js) throws Exception {
    waitFor(what, () -> inPreview(js));
  }

  void waitFor(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + wait.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    shot("failed-waiting");
    fail("timed out waiting for " + what + "; toast: " + script("return document.getElementById('toast').textContent").asText()
        + "; timeline: " + script("return document.getElementById('timeline').innerText").asText());
  }

  void shot(String name) throws Exception {
    driver.screenshot(SCREENSHOTS.resolve(prefix + "-" + name + ".png"));
  }

  @Override
  public void close() {
    driver.close();
  }
}
