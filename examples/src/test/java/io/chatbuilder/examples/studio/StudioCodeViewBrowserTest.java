package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.testing.ScriptedModel;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code view and the side-by-side diff in real headless Chromium, with files whose content is
 * hostile HTML: the file tree of a checkpoint, the selected file read-only and highlighted, and the
 * diff of two checkpoints side by side, all showing the content as text (nothing in a file runs or
 * becomes markup in the studio's page). Also the preview frame's sandbox attribute.
 */
class StudioCodeViewBrowserTest {
  /** A file that would run script in the studio if it were ever put into the page as HTML. */
  static final String HOSTILE = "<!doctype html>\n<title>x</title>\n</script><script>window.pwned = 1</script>\n"
      + "<img src=x onerror=\"window.pwned = 2\">\n<!-- </pre></td></table> -->\n<p>&lt;b&gt; &amp;amp;</p>\n";
  static final String HOSTILE_V2 = HOSTILE.replace("<title>x</title>", "<title>y</title><svg onload=\"window.pwned=3\">");
  static final String SCRIPT = "// a comment\nconst greeting = \"</script><b>hi</b>\";\nexport function hello(n) {\n  return `${greeting} ${n + 1}`;\n}\n";

  @TempDir Path data;
  @TempDir Path profile;
  private ScriptedModel model;
  private Studio studio;
  private StudioBrowser browser;

  @BeforeEach
  void start() throws Exception {
    model = ScriptedModel.builder()
        .name("hostile-files")
        .turn(t -> t.toolCall("c1", "write_file", json("page.html", HOSTILE)).toolCall("c2", "write_file", json("src/lib/hello.js", SCRIPT)))
        .turn(t -> t.text("Wrote them."))
        .turn(t -> t.toolCall("c3", "write_file", json("page.html", HOSTILE_V2)))
        .turn(t -> t.text("Changed the title."))
        .turn(t -> t.text("Those lines are hostile."))
        .build();
    studio = Studio.builder(data).port(0).model(model).start();
    browser = StudioBrowser.start(profile, "code", Duration.ofSeconds(30));
  }

  private static String json(String path, String content) {
    try {
      return HttpTestClient.JSON.writeValueAsString(java.util.Map.of("path", path, "content", content));
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

  @Test
  void codeViewAndSideBySideDiffShowHostileFilesAsText() throws Exception {
    browser.createApp(studio, "hostile", null);
    assertThat(browser.script("return document.getElementById('preview').getAttribute('sandbox')").asText())
        .isEqualTo("allow-scripts allow-same-origin allow-forms");
    browser.chat("write the files");
    browser.waitFor("the first run", "return document.querySelectorAll('.card.run_completed').length === 1");
    browser.chat("change the title");
    browser.waitFor("the second run", "return document.querySelectorAll('.card.run_completed').length === 2");
    browser.waitFor("the head in the checkpoint list", "return document.querySelectorAll('#checkpoint-select option').length === 3");

    // Code view: the tree of the current checkpoint, folders first.
    browser.driver.click("#tab-code");
    String current = studio.chatBuilder().head("hostile").orElseThrow().id();
    browser.waitFor("the file tree of the current checkpoint", "return document.getElementById('file-tree').dataset.checkpoint === '"
        + current + "' && !!document.querySelector('#file-tree button.file[data-path=\"src/lib/hello.js\"]')");
    assertThat(browser.script("return [...document.querySelectorAll('#file-tree button.file')].map(b => b.dataset.path)").toString())
        .contains("\"page.html\"", "\"src/lib/hello.js\"", "\"index.html\"");
    assertThat(browser.text("#file-tree > li.dir > span")).isEqualTo("src/");

    browser.driver.click("#file-tree button.file[data-path='page.html']");
    browser.waitFor("the file", "return document.getElementById('code-content').dataset.path === 'page.html'");
    // Exactly the file's text (plus the newline ending each rendered line), and no element of it in the page.
    String shown = browser.script("return [...document.querySelectorAll('#code-content .line')].map(l => l.textContent).join('')").asText();
    assertThat(shown).isEqualTo(HOSTILE_V2 + "\n");
    assertThat(browser.script("return document.querySelectorAll('#code-content img, #code-content script, #code-content svg,"
        + " #code-content p, #code-content title').length").asInt()).isZero();
    assertThat(browser.script("return window.pwned === undefined").asBoolean()).as("nothing of the file ran").isTrue();
    assertThat(browser.script("return document.querySelectorAll('#code-content .line').length").asInt())
        .isEqualTo(HOSTILE_V2.split("\n", -1).length);
    assertThat(browser.script("return [...document.querySelectorAll('#code-content .tok-tag')].map(s => s.textContent)").toString())
        .contains("\"<script\"", "\"<img\"");
    assertThat(browser.script("return document.querySelector('#code-content .tok-comment').textContent").asText())
        .isEqualTo("<!-- </pre></td></table> -->");
    browser.shot("01-code-view");

    browser.driver.click("#file-tree button.file[data-path='src/lib/hello.js']");
    browser.waitFor("the script", "return document.getElementById('code-content').dataset.path === 'src/lib/hello.js'");
    assertThat(browser.script("return [...document.querySelectorAll('#code-content .line')].map(l => l.textContent).join('')").asText())
        .isEqualTo(SCRIPT + "\n");
    assertThat(browser.text("#code-content .tok-comment")).isEqualTo("// a comment");
    assertThat(browser.script("return [...document.querySelectorAll('#code-content .tok-keyword')].map(s => s.textContent)").toString())
        .isEqualTo("[\"const\",\"export\",\"function\",\"return\"]");
    assertThat(browser.script("return [...document.querySelectorAll('#code-content .tok-string')].map(s => s.textContent)").toString())
        .contains("\"\\\"</script><b>hi</b>\\\"\"");
    assertThat(browser.script("return document.querySelectorAll('#code-content b').length").asInt()).isZero();

    // An older checkpoint's file: the code view follows the checkpoint selector.
    browser.driver.click("#checkpoint-select option:nth-child(2)");
    String older = browser.script("return document.querySelector('#checkpoint-select option:nth-child(2)').value").asText();
    browser.waitFor("the older checkpoint's tree", "return document.getElementById('file-tree').dataset.checkpoint === '" + older + "'");
    browser.driver.click("#file-tree button.file[data-path='page.html']");
    browser.waitFor("the older page", "return [...document.querySelectorAll('#code-content .line')].map(l => l.textContent).join('')"
        + " === " + HttpTestClient.JSON.writeValueAsString(HOSTILE + "\n"));

    // Side-by-side diff of the last change: the old line left, the new line right, as text.
    browser.driver.click("#diff-btn");
    browser.waitFor("the side-by-side diff", "return !!document.querySelector('#diff-view .file[data-path=\"page.html\"] table.sbs tr.change')");
    assertThat(browser.script("return document.getElementById('diff-pane').hidden").asBoolean()).isFalse();
    String row = "document.querySelector('#diff-view .file[data-path=\"page.html\"] table.sbs tr.change')";
    assertThat(browser.script("return " + row + ".querySelector('td.code.old').textContent").asText()).isEqualTo("<title>x</title>");
    assertThat(browser.script("return " + row + ".querySelector('td.code.new').textContent").asText())
        .isEqualTo("<title>y</title><svg onload=\"window.pwned=3\">");
    assertThat(browser.script("return " + row + ".querySelector('td.no.old').textContent + '|' + " + row
        + ".querySelector('td.no.new').textContent").asText()).isEqualTo("2|2");
    assertThat(browser.script("return document.querySelectorAll('#diff-view svg, #diff-view img, #diff-view script').length").asInt())
        .isZero();
    assertThat(browser.script("return [...document.querySelectorAll('#diff-view .file[data-path=\"page.html\"] table.sbs tr.ctx td.code.new')]"
        + ".map(td => td.textContent).join('\\n')").asText()).contains("</script><script>window.pwned = 1</script>");
    assertThat(browser.script("return window.pwned === undefined").asBoolean()).isTrue();
    browser.shot("02-side-by-side");

    // Lines picked in the code view (a click, a shift-click) are attached to the next message.
    browser.driver.click("#tab-code");
    String head = current;
    browser.driver.click("#checkpoint-select option:first-child");
    // The code view follows the checkpoint with the file it shows.
    browser.waitFor("the current page", "const pre = document.getElementById('code-content');"
        + " return pre.dataset.path === 'page.html' && pre.dataset.checkpoint === '" + head + "'"
        + " && !document.getElementById('attach-file-btn').disabled");
    assertThat(browser.script("return [...document.querySelectorAll('#code-content .line')].map(l => l.textContent).join('')").asText())
        .isEqualTo(HOSTILE_V2 + "\n");
    browser.driver.click("#file-tree button.file[data-path='page.html']"); // the file shown: not rendered again
    browser.driver.click("#code-content .line[data-line='3']");
    browser.script("document.querySelector(\"#code-content .line[data-line='4']\").dispatchEvent("
        + "new MouseEvent('click', {bubbles: true, shiftKey: true})); return true");
    assertThat(browser.script("return [...document.querySelectorAll('#code-content .line.picked')].map(l => l.dataset.line)").toString())
        .isEqualTo("[\"3\",\"4\"]");
    browser.driver.click("#file-tree button.file[data-path='page.html']");
    assertThat(browser.script("return document.querySelectorAll('#code-content .line.picked').length").asInt())
        .as("clicking the file shown keeps the pick").isEqualTo(2);
    browser.driver.click("#attach-file-btn");
    browser.waitFor("the file chip", "return document.querySelectorAll('#attachments .chip[data-type=file]').length === 1");
    assertThat(browser.text("#attachments .chip[data-type=file] .label")).isEqualTo("page.html:3-4");
    browser.shot("03-lines-attached");
    browser.chat("what do these lines do?");
    browser.waitFor("the third run", "return document.querySelectorAll('.card.run_completed').length === 3");
    io.chatbuilder.core.model.ModelRequest request = model.requests().get(4);
    String sent = ((io.chatbuilder.core.model.ChatMessage.User) request.messages().get(request.messages().size() - 1)).textWithContext();
    assertThat(sent).contains("File page.html, lines 3-4").contains("</script><script>window.pwned = 1</script>")
        .contains("<img src=x onerror=\"window.pwned = 2\">").doesNotContain("<title>y</title>");
  }
}
