package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.ScriptedModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preview errors in the studio, end to end with the real Vite runtime (npm and Vite in the app's
 * bubblewrap sandbox) and real headless Chromium: a syntax error (in a module Vite compiles) and a
 * runtime error the agent wrote
 * each become an error card with the right file and line and a diagnostics badge on the preview;
 * "Fix this" attaches the error to the next message, and it is in that run's first model request
 * (recorded by the scripted model). Needs bubblewrap, node and npm's registry: skipped without them,
 * failing under {@code CI=true}.
 */
class StudioPreviewErrorsBrowserTest {
  /** A module Vite compiles (JSX goes through esbuild), with a syntax error on line 4. */
  static final String SYNTAX_ERROR = "export function View() {\n  return <h1 id=\"title\">Hello</h1>\n}\nconst broken = ;\n";
  static final String IMPORTS_VIEW = "import './style.css'\nimport { View } from './view.jsx'\n\n"
      + "document.querySelector('#app').innerHTML = typeof View\n";
  static final String RUNTIME_ERROR = "import './style.css'\n\ndocument.querySelector('#app').innerHTML = '<h1 id=\"title\">Runtime</h1>'\n"
      + "function explode() {\n  throw new Error('boom from main')\n}\nexplode()\n";
  static final String FIXED = "import './style.css'\n\ndocument.querySelector('#app').innerHTML = '<h1 id=\"title\">Fixed</h1>'\n";

  @TempDir Path data;
  @TempDir Path profile;
  private Studio studio;
  private StudioBrowser browser;
  private ScriptedModel model;

  @BeforeEach
  void start() throws Exception {
    StudioBrowser.requireIsolatedNode(data);
    model = ScriptedModel.builder()
        .name("recorder")
        .turn(t -> t.toolCall("c1", "write_file", json("src/view.jsx", SYNTAX_ERROR))
            .toolCall("c1b", "write_file", json("src/main.js", IMPORTS_VIEW)))
        .turn(t -> t.text("Wrote it."))
        .turn(t -> t.toolCall("c2", "write_file", json("src/main.js", RUNTIME_ERROR)))
        .turn(t -> t.text("Changed it."))
        .turn(t -> t.toolCall("c3", "write_file", json("src/main.js", FIXED)))
        .turn(t -> t.text("Fixed."))
        .build();
    studio = Studio.builder(data.resolve("studio")).port(0).model(model).vite().start();
    browser = StudioBrowser.start(profile, "errors", Duration.ofSeconds(240));
  }

  static String json(String path, String content) {
    try {
      return HttpTestClient.JSON.writeValueAsString(Map.of("path", path, "content", content));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
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

  /** The text the model got for the person's message of a request (the last user turn). */
  private static String lastUserText(ModelRequest request) {
    ChatMessage last = request.messages().get(request.messages().size() - 1);
    assertThat(last).isInstanceOf(ChatMessage.User.class);
    return ((ChatMessage.User) last).textWithContext();
  }

  @Test
  void syntaxAndRuntimeErrorsBecomeCardsAndFixThisSendsThemToTheModel() throws Exception {
    browser.createApp(studio, "broken", "vite-vanilla");
    browser.waitFor("the Vite preview", "return !!document.getElementById('preview').src");
    browser.waitForPreview("the template page", "document.readyState === 'complete' && !!document.querySelector('#app h1')");

    // A syntax error: an error card at src/view.jsx line 4, and the badge.
    browser.chat("write a broken page");
    browser.waitFor("the run", "return document.querySelectorAll('.card.run_completed').length === 1");
    String compile = ".card.error[data-kind=compile_error]:not([data-stale])";
    browser.waitFor("a compile error card", "return !!document.querySelector('" + compile + "')");
    assertThat(browser.script("return document.querySelector('" + compile + "').dataset.file").asText()).isEqualTo("src/view.jsx");
    assertThat(browser.script("return document.querySelector('" + compile + "').dataset.line").asText()).isEqualTo("4");
    assertThat(browser.text(compile + " .where")).startsWith("at src/view.jsx:4");
    assertThat(browser.script("const b = document.getElementById('diag-badge'); return !b.hidden && b.offsetParent !== null").asBoolean())
        .as("the diagnostics badge shows").isTrue();
    int current = browser.script("return document.querySelectorAll('.card.error:not([data-stale])').length").asInt();
    assertThat(browser.text("#diag-badge")).isEqualTo(current + (current == 1 ? " error" : " errors"));
    browser.shot("01-compile-error");

    // Fix this: a chip, the message prefilled; the next run's first request carries the error.
    browser.driver.click(compile + " [data-testid=fix-btn]");
    browser.waitFor("the diagnostic chip", "return document.querySelectorAll('#attachments .chip[data-type=diagnostic]').length === 1");
    assertThat(browser.script("return document.getElementById('chat-input').value").asText()).isEqualTo("Fix this error.");
    browser.driver.click("#send-btn");
    browser.waitFor("the second run", "return document.querySelectorAll('.card.run_completed').length === 2");
    assertThat(lastUserText(model.requests().get(0))).doesNotContain("Preview error");
    String second = lastUserText(model.requests().get(2));
    assertThat(second).startsWith("Fix this error.").contains("Preview error (compile_error) at src/view.jsx:4");
    assertThat(browser.script("return document.querySelectorAll('#attachments .chip').length").asInt()).isZero();

    // A runtime error: its own card at the line that throws (5), the compile error's card marked stale.
    String runtime = ".card.error[data-kind=uncaught_error]:not([data-stale])";
    browser.waitFor("a runtime error card", "return !!document.querySelector('" + runtime + "')");
    assertThat(browser.script("return document.querySelector('" + runtime + "').dataset.file").asText()).isEqualTo("src/main.js");
    assertThat(browser.script("return document.querySelector('" + runtime + "').dataset.line").asText()).isEqualTo("5");
    assertThat(browser.text(runtime + " .title")).contains("boom from main");
    assertThat(browser.script("return document.querySelector('.card.error[data-kind=compile_error]').dataset.stale").asText())
        .isEqualTo("true");
    browser.shot("02-runtime-error");

    // Show code on the card opens the code view at the line that throws.
    browser.driver.click(runtime + " [data-testid=show-code-btn]");
    browser.waitFor("the code view at the line", "return document.getElementById('code-content').dataset.path === 'src/main.js'"
        + " && !!document.querySelector('#code-content .line.hit')");
    assertThat(browser.text("#code-content .line.hit")).isEqualTo("  throw new Error('boom from main')\n");
    assertThat(browser.text("#code-content .line.hit")).isEqualTo(browser.text("#code-content .line[data-line='5']"));
    browser.shot("03-show-code");
    browser.driver.click("#tab-preview");

    browser.driver.click(runtime + " [data-testid=fix-btn]");
    browser.waitFor("the runtime error chip", "return document.querySelectorAll('#attachments .chip[data-type=diagnostic]').length === 1");
    browser.driver.click("#send-btn");
    browser.waitFor("the third run", "return document.querySelectorAll('.card.run_completed').length === 3");
    String third = lastUserText(model.requests().get(4));
    assertThat(third).contains("Preview error (uncaught_error) at src/main.js:5").contains("boom from main")
        .doesNotContain("compile_error");
    browser.waitForPreview("the fixed page", "document.querySelector('#title')?.textContent === 'Fixed'");
    browser.waitFor("the badge to clear", "return document.getElementById('diag-badge').hidden");

    browser.shot("04-fixed");
  }
}
