package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.model.Usage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tool card types a file's content while the model writes the arguments, in real headless
 * Chromium: a scripted model streams {@code write_file} arguments in slow fragments, and the card
 * must show the content before {@code tool_completed} arrives. Also: reasoning shows collapsed and
 * apart from the answer, and the run card shows the run's tokens. Screenshots go to
 * {@code target/screenshots/}.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} (or {@code CHROMIUM_BIN},
 * {@code CHROMEDRIVER_BIN}); skipped without them, except under {@code CI=true}, where it fails.
 */
class StudioLiveInputBrowserTest {
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String CONTENT = "<!doctype html>\n<title>Live</title>\n<ul>\n"
      + "  <li>one</li>\n  <li>two</li>\n  <li>three</li>\n  <li>four</li>\n  <li>five</li>\n</ul>\n<p id=\"end\">the end</p>\n";
  private static final String REASONING = "The person wants a list page. One write_file is enough.";

  @TempDir Path data;
  @TempDir Path profile;
  private Studio studio;
  private WebDriver browser;

  @BeforeEach
  void start() throws Exception {
    Path chromium = executable("CHROMIUM_BIN", "/usr/bin/chromium");
    Path chromedriver = executable("CHROMEDRIVER_BIN", "/usr/bin/chromedriver");
    String args = "{\"path\":\"index.html\",\"content\":" + HttpTestClient.JSON.writeValueAsString(CONTENT) + "}";
    List<String> fragments = new ArrayList<>();
    for (int i = 0; i < args.length(); i += 14) {
      fragments.add(args.substring(i, Math.min(args.length(), i + 14)));
    }
    ScriptedModel model = ScriptedModel.builder()
        .name("slow-typist")
        .turn(t -> t.chunkDelay(Duration.ofMillis(200))
            .reasoning(REASONING)
            .text("Writing the page.")
            .streamedToolCall("call_live", "write_file", fragments)
            .usage(new Usage(1500, 200, 1200, 300)))
        .turn(t -> t.text("Done.").usage(new Usage(1700, 5, 1500, 0)))
        .build();
    studio = Studio.builder(data).port(0).model(model).start();
    Files.createDirectories(SCREENSHOTS);
    browser = WebDriver.start(chromedriver, chromium, profile, Path.of("target", "chromedriver-live.log"));
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
  void fileContentTypesItselfInTheToolCardBeforeTheToolCompletes() throws Exception {
    browser.navigate(studio.url().toString());
    waitFor("the UI to load", "return document.body.dataset.ready === 'true'");
    browser.type("#new-app-id", "live");
    browser.click("#create-app-btn");
    waitFor("the new app to open", "return document.getElementById('app-select').value === 'live'");

    browser.type("#chat-input", "Make a list page");
    browser.click("#send-btn");

    // One look at the page: the card shows part of the content, and tool_completed has not come.
    String card = "document.querySelector('.card.tool[data-tool=write_file]')";
    waitFor("the content typing in the tool card before tool_completed",
        "const c = " + card + "; if (!c) return false;"
            + " const code = c.querySelector('.live-code');"
            + " return !code.hidden && code.textContent.includes('<title>Live</title>')"
            + " && !code.textContent.includes('the end')"
            + " && c.dataset.status === 'streaming'"
            + " && !c.payloads.some(p => p.type === 'tool_completed' || p.type === 'tool_started')");
    assertThat(text(".card.tool[data-tool=write_file] .title")).isEqualTo("write_file index.html");
    assertThat(text(".card.tool[data-tool=write_file] .state")).startsWith("writing…");
    shot("live-01-typing");

    waitFor("the tool to complete", "return " + card + ".dataset.status === 'ok'");
    assertThat(text(".card.tool[data-tool=write_file] .live-code")).isEqualTo(CONTENT);
    JsonNode payloads = script("return " + card + ".payloads.map(p => p.type)");
    assertThat(payloads.toString()).isEqualTo("[\"tool_started\",\"tool_completed\"]");
    assertThat(script("return document.querySelectorAll('.card.tool').length").asInt()).isEqualTo(1);

    // Reasoning: its own card, collapsed, never in the assistant's text.
    assertThat(script("const d = document.querySelector('.card.reasoning details.reasoning'); return !!d && !d.open").asBoolean())
        .isTrue();
    assertThat(text(".card.reasoning details.reasoning pre")).isEqualTo(REASONING);
    assertThat(text(".card.assistant .body")).isEqualTo("Writing the page.").doesNotContain("list page");

    // Tokens per run.
    waitFor("the run to complete", "return document.querySelectorAll('.card.run_completed').length === 1");
    assertThat(text(".card.run_completed .body"))
        .isEqualTo("tokens: 3200 in (2700 from cache, 300 written to cache) · 205 out");
    shot("live-02-done");

    // A reload replays the events: the card shows the whole file again.
    browser.navigate(studio.url() + "?fresh=1#live");
    waitFor("the replayed run", "return document.querySelectorAll('.card.run_completed').length === 1");
    assertThat(text(".card.tool[data-tool=write_file] .live-code")).isEqualTo(CONTENT);
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

  private void waitFor(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(50);
    }
    shot("live-failed-waiting");
    fail("timed out waiting for " + what + "; toast: " + script("return document.getElementById('toast').textContent").asText()
        + "; timeline: " + script("return document.getElementById('timeline').innerText").asText());
  }

  private void shot(String name) throws Exception {
    browser.screenshot(SCREENSHOTS.resolve(name + ".png"));
  }
}
