package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The studio end to end in real headless Chromium driven by chromedriver: create an app, chat with
 * the demo model, watch tool and checkpoint cards and the preview, undo, revert one file, expand a
 * raw payload, diff and publish. Screenshots of the main states go to {@code target/screenshots/}.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} (override with {@code CHROMIUM_BIN}
 * and {@code CHROMEDRIVER_BIN}). Without them the test is skipped with a message, except under
 * {@code CI=true}, where it fails.
 */
class StudioBrowserTest {
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final String LIGHT = "rgb(248, 250, 252)"; // DemoModel.css(false) background
  private static final String DARK = "rgb(17, 24, 39)"; // DemoModel.css(true) background

  @TempDir Path data;
  @TempDir Path profile;
  private Studio studio;
  private WebDriver browser;

  @BeforeEach
  void start() throws Exception {
    Path chromium = executable("CHROMIUM_BIN", "/usr/bin/chromium");
    Path chromedriver = executable("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
    studio = Studio.builder(data).port(0).model(new DemoModel(Duration.ofMillis(5))).start();
    Files.createDirectories(SCREENSHOTS);
    Files.deleteIfExists(SCREENSHOTS.resolve("failed-waiting.png"));
    browser = WebDriver.start(chromedriver, chromium, profile, Path.of("target", "chromedriver.log"));
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

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.close();
    }
    if (studio != null) {
      studio.close();
    }
  }

  @Test
  void buildUndoRevertInspectDiffAndPublishInTheBrowser() throws Exception {
    browser.navigate(studio.url().toString());
    waitFor("the UI to load", "return document.body.dataset.ready === 'true'");
    assertThat(text("#model-badge")).contains("offline-demo").contains("demo");
    assertThat(script("return !document.getElementById('demo-banner').hidden").asBoolean()).isTrue();
    assertThat(script("return document.getElementById('isolation-banner').hidden").asBoolean())
        .as("no isolation warning: the sandboxes are isolated").isTrue();
    shot("01-empty-studio");

    // Create an app from the template.
    browser.type("#new-app-id", "counter");
    browser.click("#create-app-btn");
    waitFor("the new app to open", "return document.getElementById('app-select').value === 'counter'");
    waitForPreview("its preview", previewTitleIs("New app"));
    shot("02-app-created");

    // Chat with the demo model: tool cards, a checkpoint, the preview changes.
    chat("Build a counter app");
    waitFor("three write_file cards that succeeded",
        "return document.querySelectorAll('.card.tool[data-tool=write_file][data-status=ok]').length === 3");
    waitFor("a checkpoint card", "return document.querySelectorAll('.card.checkpoint').length === 1");
    waitFor("the run to complete", "return document.querySelectorAll('.card.run_completed').length === 1");
    assertThat(text(".card.assistant .body")).contains("offline demo model");
    waitForPreview("the preview to show the counter", previewTitleIs("Counter") + " && " + previewBackgroundIs(LIGHT));
    shot("03-counter-built");

    chat("make it dark");
    waitFor("the second run to complete", "return document.querySelectorAll('.card.run_completed').length === 2");
    waitForPreview("the preview to turn dark", previewBackgroundIs(DARK));
    shot("04-dark-theme");

    // Undo: the preview goes back.
    waitFor("undo to be enabled", "return !document.getElementById('undo-btn').disabled");
    browser.click("#undo-btn");
    waitFor("an undo card", "return [...document.querySelectorAll('.card.history .title')].some(t => t.textContent.startsWith('undo'))");
    waitForPreview("the preview to be light again", previewBackgroundIs(LIGHT));
    waitFor("redo to be enabled", "return !document.getElementById('redo-btn').disabled");
    shot("05-after-undo");

    // Revert one file from the dark run's checkpoint.
    waitFor("the checkpoint list", "return document.querySelectorAll('#checkpoint-select option').length === 4");
    browser.click("#checkpoint-select option[data-type=agent_run]"); // newest agent_run: the dark theme
    waitFor("the checkpoint's files", "return !!document.querySelector('#file-select option[value=\"style.css\"]')");
    browser.click("#file-select option[value='style.css']");
    browser.click("#revert-file-btn");
    waitFor("a revert_file checkpoint at the top",
        "return document.querySelector('#checkpoint-select option')?.dataset.type === 'revert_file'");
    waitForPreview("the preview to be dark again", previewBackgroundIs(DARK) + " && " + previewTitleIs("Counter"));
    shot("06-file-reverted");
    String head = studio.chatBuilder().head("counter").orElseThrow().id();
    assertThat(studio.chatBuilder().checkpoint("counter", head).stats().filesModified()).isEqualTo(1);

    // Expand a raw payload.
    browser.click(".card.tool details.raw summary");
    waitFor("the raw JSON to show", "const pre = document.querySelector('.card.tool details.raw pre');"
        + " return pre.offsetParent !== null && pre.getBoundingClientRect().height > 0");
    JsonNode raw = HttpTestClient.JSON.readTree(text(".card.tool details.raw pre"));
    assertThat(raw.get(0).get("type").asText()).isEqualTo("tool_started");
    assertThat(raw.get(0).get("tool_name").asText()).isEqualTo("list_files");
    assertThat(raw.get(1).get("type").asText()).isEqualTo("tool_completed");
    shot("07-raw-payload");

    // Diff the initial checkpoint against the current one.
    browser.click("#diff-from option[data-type=initial]");
    browser.click("#diff-to option:first-child");
    browser.click("#diff-btn");
    waitFor("the diff of three files", "return document.querySelectorAll('#diff-view .file').length === 3");
    assertThat(text("#diff-view .file[data-path='style.css'] pre")).contains("+  background: #111827;");
    shot("08-diff");

    // Publish.
    browser.click("#publish-btn");
    waitFor("a successful publish", "return document.getElementById('publish-result').dataset.success === 'true'");
    assertThat(text("#publish-result")).contains("Published").contains("3 files");
    shot("09-published");

    // A reload replays the runs from the event log.
    browser.navigate(studio.url() + "?fresh=1#counter"); // a new URL: a real page load, not a hash change
    waitFor("the reloaded UI", "return document.body.dataset.ready === 'true'");
    assertThat(script("return document.getElementById('publish-result').hidden").asBoolean()).isTrue();
    waitFor("the replayed timeline", "return document.querySelectorAll('.card.run_completed').length === 2"
        + " && document.querySelectorAll('.card.checkpoint').length === 2");
    shot("10-reloaded");
  }

  @Test
  void anUnisolatedStudioShowsAWarningBanner() throws Exception {
    studio.close();
    studio = Studio.builder(data.resolve("unisolated")).port(0).model(new DemoModel(Duration.ofMillis(5))).unisolated().start();
    browser.navigate(studio.url().toString());
    waitFor("the UI to load", "return document.body.dataset.ready === 'true'");
    assertThat(script("const b = document.getElementById('isolation-banner');"
        + " return !b.hidden && b.offsetParent !== null && b.getBoundingClientRect().height > 0").asBoolean())
        .as("the banner is visible").isTrue();
    assertThat(text("#isolation-banner")).contains("not isolated");
    shot("11-unisolated-banner");
  }

  private void chat(String message) {
    browser.type("#chat-input", message);
    browser.click("#send-btn");
  }

  private static String previewTitleIs(String title) {
    return "document.readyState === 'complete' && document.querySelector('#title')?.textContent === '" + title + "'";
  }

  private static String previewBackgroundIs(String color) {
    return "document.readyState === 'complete' && !!document.body && getComputedStyle(document.body).backgroundColor === '"
        + color + "'";
  }

  /** Whether {@code js} holds inside the preview, which has its own origin (so the driver steps into the frame). */
  private boolean inPreview(String js) {
    try {
      browser.switchToFrame("#preview");
      return script("return " + js).asBoolean(false);
    } catch (WebDriver.WebDriverException reloading) {
      return false;
    } finally {
      browser.switchToTop();
    }
  }

  private void waitForPreview(String what, String js) throws Exception {
    waitFor(what, () -> inPreview(js));
  }

  private String text(String css) {
    return script("return document.querySelector(\"" + css.replace("\"", "\\\"") + "\").textContent").asText();
  }

  private JsonNode script(String js) {
    return browser.execute(js);
  }

  private void waitFor(String what, String js) throws Exception {
    waitFor(what, () -> script(js).asBoolean(false));
  }

  private void waitFor(String what, java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
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

  private void shot(String name) throws Exception {
    browser.screenshot(SCREENSHOTS.resolve(name + ".png"));
  }
}
