package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.ScriptedModel;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Select mode over the preview, end to end with the Vite runtime (runtime-vite's source tags and
 * select-mode client, in the app's bubblewrap sandbox) and real headless Chromium: the studio turns
 * select mode on, a real click on an element in the preview shows where it comes from and attaches
 * it to the next message, and the element's source location is in that run's first model request.
 * A forged selection posted from the studio's own origin is ignored. Needs bubblewrap, node and npm's
 * registry: skipped without them, failing under {@code CI=true}.
 */
class StudioSelectModeBrowserTest {
  static final String PAGE = "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n"
      + "    <title>Pick</title>\n  </head>\n  <body>\n    <main>\n      <h1 id=\"title\">Pick me</h1>\n"
      + "      <button id=\"go\" type=\"button\">count is 0</button>\n    </main>\n  </body>\n</html>\n";

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
        .turn(t -> t.toolCall("c1", "write_file", StudioPreviewErrorsBrowserTest.json("index.html", PAGE)))
        .turn(t -> t.text("Wrote the page."))
        .turn(t -> t.text("I will make it bigger."))
        .build();
    studio = Studio.builder(data.resolve("studio")).port(0).model(model).vite().start();
    browser = StudioBrowser.start(profile, "select", Duration.ofSeconds(240));
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
  void aClickedElementsSourceLocationReachesTheNextModelRequest() throws Exception {
    browser.createApp(studio, "pick", "vite-vanilla");
    browser.waitFor("the Vite preview", "return !!document.getElementById('preview').src");
    browser.chat("write the page");
    browser.waitFor("the run", "return document.querySelectorAll('.card.run_completed').length === 1");
    browser.waitForPreview("the new page", "document.readyState === 'complete' && document.querySelector('#go')?.textContent === 'count is 0'"
        + " && !!document.querySelector('#go[data-cb-source]')");

    // A forged selection from the studio's own origin (not the preview's window) attaches nothing.
    browser.script("window.postMessage({type: 'chatbuilder:element-selected', file: 'src/evil.js', line: 1, column: 1,"
        + " tag: 'div', text: 'forged'}, '*'); return true");

    browser.driver.click("#select-btn");
    browser.waitFor("the preview to acknowledge select mode", "return document.body.dataset.selectAck === 'true'");
    assertThat(browser.script("return document.getElementById('select-btn').getAttribute('aria-pressed')").asText()).isEqualTo("true");
    assertThat(browser.script("return document.querySelectorAll('#attachments .chip').length").asInt()).as("the forged one").isZero();

    browser.driver.switchToFrame("#preview");
    try {
      browser.driver.click("#go");
    } finally {
      browser.driver.switchToTop();
    }
    browser.waitFor("the element chip", "return document.querySelectorAll('#attachments .chip[data-type=element]').length === 1");
    assertThat(browser.text("#attachments .chip[data-type=element] .label")).isEqualTo("<button> index.html:10:7 “count is 0”");
    assertThat(browser.text("#selection")).startsWith("<button> “count is 0” comes from index.html:10:7");
    assertThat(browser.script("return document.getElementById('select-btn').getAttribute('aria-pressed')").asText())
        .as("select mode ends with the selection").isEqualTo("false");
    browser.waitFor("the preview to leave select mode", "return document.body.dataset.selectAck === 'false'");
    browser.shot("01-selected");

    browser.chat("make this button bigger");
    browser.waitFor("the second run", "return document.querySelectorAll('.card.run_completed').length === 2");
    ModelRequest request = model.requests().get(2);
    ChatMessage.User user = (ChatMessage.User) request.messages().get(request.messages().size() - 1);
    assertThat(user.text()).isEqualTo("make this button bigger");
    assertThat(user.textWithContext()).contains("Selected element <button> at index.html:10:7 with text \"count is 0\"")
        .doesNotContain("evil");
    assertThat(browser.script("return document.querySelectorAll('#attachments .chip').length").asInt()).isZero();
  }
}
