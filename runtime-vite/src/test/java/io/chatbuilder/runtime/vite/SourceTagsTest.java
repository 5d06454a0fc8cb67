package io.chatbuilder.runtime.vite;

import static io.chatbuilder.runtime.vite.ViteTestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Source tags and select mode (issue 16) with real parts: a React (the runtime's vite-react
 * template), a Vue SFC, a Svelte and a plain-HTML app, each installed by real npm and served by a
 * real Vite dev server in a bubblewrap sandbox, opened in real headless Chromium. Every rendered host
 * element carries the exact {@code file:line:column} of its opening tag; components and fragments do
 * not; broken sources still fail with the framework's own compile error; a publish build has no tag;
 * select mode, driven from a cross-origin parent page with real pointer input, posts the clicked
 * element's location and keeps the click from the app. One install per app for the class.
 */
class SourceTagsTest {
  private static final String REACT = "tagreact";
  private static final String VUE = "tagvue";
  private static final String SVELTE = "tagsvelte";
  private static final String HTML = "taghtml";

  private static final String REACT_APP = """
      import { useState } from 'react'
      import { Note } from './Note.tsx'

      function Badge({ label }) {
        return <span className="badge">{label}</span>
      }

      export default function App() {
        const [count, setCount] = useState(0)
        return (
          <>
            <main id="react-main">
              <h1>Hello from React</h1>
              <Badge label="new" />
              <p>Ask <em>anything</em> here.</p>
              <Note text="typed" />
              <button type="button" onClick={() => setCount((c) => c + 1)}>
                Clicked {count} times
              </button>
              <p id="long">{'word '.repeat(100)}</p>
            </main>
          </>
        )
      }
      """;
  private static final String REACT_NOTE = """
      type Props = { text: string }

      export function Note({ text }: Props) {
        const items: Array<string> = [text, 'plain']
        return <aside className="note">{items.map((t) => <b key={t}>{t}</b>)}</aside>
      }
      """;

  @TempDir static Path shared;
  private static LocalSandboxProvider sandboxes;
  private static ViteDraftRuntime drafts;
  private static HeadlessChromium browser;
  private static HttpServer parent;
  private static final Map<String, String> previews = new LinkedHashMap<>();

  @BeforeAll
  static void start() throws Exception {
    SandboxSetup.requireBubblewrap(shared);
    Map<String, Map<String, String>> apps = new LinkedHashMap<>();
    apps.put(REACT, reactApp());
    apps.put(VUE, vueApp());
    apps.put(SVELTE, svelteApp());
    apps.put(HTML, htmlApp());
    for (var app : apps.entrySet()) {
      for (var file : app.getValue().entrySet()) {
        write(app.getKey(), file.getKey(), file.getValue());
      }
    }
    sandboxes = ViteTestSupport.sandboxes(shared);
    drafts = ViteDraftRuntime.builder(sandboxes).build();
    ExecutorService starts = Executors.newFixedThreadPool(apps.size());
    try {
      Map<String, Future<DraftStatus>> started = new LinkedHashMap<>();
      for (String app : apps.keySet()) {
        started.put(app, starts.submit(() -> drafts.start(app, StatusListener.NONE)));
      }
      for (var e : started.entrySet()) {
        DraftStatus status = e.getValue().get();
        assertThat(status.state()).as(e.getKey() + ": " + status).isEqualTo(DraftState.RUNNING);
        previews.put(e.getKey(), status.previewUrl().orElseThrow());
      }
    } finally {
      starts.shutdownNow();
    }
    parent = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    parent.createContext("/", exchange -> {
      String query = exchange.getRequestURI().getRawQuery();
      String src = query == null ? "about:blank" : URLDecoder.decode(query.substring(query.indexOf('=') + 1), StandardCharsets.UTF_8);
      byte[] page = ("""
          <!doctype html>
          <html><head><meta charset="utf-8"><title>studio</title></head>
          <body>
          <script>
            window.__messages = [];
            window.__loaded = false;
            window.addEventListener('message', (e) => window.__messages.push({ origin: e.origin, data: e.data }));
          </script>
          <iframe id="preview" style="width: 900px; height: 700px" src="%s" onload="window.__loaded = true"></iframe>
          </body></html>
          """.formatted(src.replace("\"", "&quot;"))).getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
      exchange.sendResponseHeaders(200, page.length);
      try (var out = exchange.getResponseBody()) {
        out.write(page);
      }
    });
    parent.start();
    browser = HeadlessChromium.start(shared.resolve("chromium-profile"), Path.of("target", "chromedriver-source-tags.log"));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (parent != null) {
      parent.stop(0);
    }
    if (drafts != null) {
      drafts.close();
    }
    if (sandboxes != null) {
      sandboxes.close();
    }
  }

  // ------------------------------------------------------------------ tags on rendered elements

  @Test
  void reactHostElementsCarryTheirJsxAndTsxSourceLocations() {
    List<String> tags = renderedTags(REACT, "#react-main button");
    assertThat(tags).containsExactly(
        "div#root index.html:9:5",
        "main#react-main src/App.jsx:12:7",
        "h1 src/App.jsx:13:9",
        "span src/App.jsx:5:10",        // Badge's own element, not the <Badge /> use
        "p src/App.jsx:15:9",
        "em src/App.jsx:15:16",         // second tag on the line: column after the first insertion
        "aside src/Note.tsx:5:10",
        "b src/Note.tsx:5:52",
        "b src/Note.tsx:5:52",
        "button src/App.jsx:17:9",
        "p#long src/App.jsx:20:9");
    // the component uses (<Badge />, <Note />) and the fragment got no attribute in the module Vite serves
    String module = ViteTestSupport.get(previews.get(REACT) + "src/App.jsx").body();
    assertThat(module.split("data-cb-source", -1)).hasSize(8); // 7 tags: main, h1, span, p, em, button, p#long
    assertThat(module).containsPattern("jsxDEV\\(Badge, \\{ label: \"new\" \\}").containsPattern("jsxDEV\\(Note, \\{ text: \"typed\" \\}");
  }

  @Test
  void vueTemplateElementsCarryTheirSfcLocations() {
    assertThat(renderedTags(VUE, "#vue-main button")).containsExactly(
        "div#app index.html:8:5",
        "main#vue-main src/App.vue:8:3",
        "h1 src/App.vue:9:5",
        "p src/Greeting.vue:2:3",       // the component's root element; <Greeting /> itself untagged
        "ul src/App.vue:11:5",
        "li src/App.vue:12:7",
        "li src/App.vue:12:7",
        "button src/App.vue:14:5");
  }

  @Test
  void svelteElementsCarryTheirComponentLocations() {
    assertThat(renderedTags(SVELTE, "#svelte-main button")).containsExactly(
        "div#app index.html:8:5",
        "main#svelte-main src/App.svelte:6:1",
        "h1 src/App.svelte:7:3",
        "p src/Greeting.svelte:5:1",
        "ul src/App.svelte:9:3",
        "li src/App.svelte:11:7",
        "li src/App.svelte:11:7",
        "button src/App.svelte:14:3");
  }

  @Test
  void plainHtmlElementsCarryTheirPageLocationsButNotHeadScriptsOrCommentedOutMarkup() {
    // #app's children are set by main.js at run time (innerHTML): not source markup, not tagged
    assertThat(renderedTags(HTML, "#app main")).containsExactly(
        "main#plain-main index.html:11:5",
        "h1 index.html:12:7",
        "p index.html:13:7",
        "b index.html:13:15",
        "textarea#raw index.html:15:5",  // its content is text, not elements
        "div#app index.html:16:5");
    // every page of the app, not only index.html
    browser.topFrame();
    browser.navigate(previews.get(HTML) + "pages/about.html");
    eventually("about.html to render", () -> browser.execute("return !!document.querySelector('section')").asBoolean());
    assertThat(tagsInPage()).containsExactly("section#about pages/about.html:7:5", "a pages/about.html:8:7");
  }

  @Test
  void editsReachTheTagsThroughHotUpdates() {
    assertTagAfterEdit(REACT, "src/App.jsx", REACT_APP, REACT_APP.replace("export default function App() {",
        "// two lines\n// added above\nexport default function App() {"), "#react-main", "src/App.jsx:12:7", "src/App.jsx:14:7");
    String vue = vueApp().get("src/App.vue");
    assertTagAfterEdit(VUE, "src/App.vue", vue, vue.replace("<template>\n", "<template>\n  <!-- a line added -->\n"),
        "#vue-main", "src/App.vue:8:3", "src/App.vue:9:3");
    String svelte = svelteApp().get("src/App.svelte");
    assertTagAfterEdit(SVELTE, "src/App.svelte", svelte, svelte.replace("<main id=", "<!-- a line added -->\n<main id="),
        "#svelte-main", "src/App.svelte:6:1", "src/App.svelte:7:1");
  }

  private static void assertTagAfterEdit(String app, String file, String before, String after, String css, String was, String is) {
    renderedTags(app, css);
    String read = "const e = document.querySelector('" + css + "'); return e ? e.getAttribute('data-cb-source') : ''";
    assertThat(browser.execute(read).asText()).isEqualTo(was);
    try {
      write(app, file, after);
      eventually(() -> app + " " + css + " to be tagged " + is + ", is " + browser.execute(read).asText(),
          () -> browser.execute(read).asText().equals(is));
    } finally {
      write(app, file, before);
    }
    eventually(() -> app + " " + css + " to be tagged " + was + " again", () -> browser.execute(read).asText().equals(was));
  }

  // ------------------------------------------------------------------ hostile and unusual sources

  @Test
  void jsxPluginLeavesWhatItCannotOwnUntouchedAndEscapesHostileNames() {
    JsonNode r = probe(REACT, "jsx");
    for (String untouched : List.of("syntaxError", "jsInPlainJs", "query", "virtual", "outsideRoot", "dependency", "oversized",
        "tsxTypeAssertionIsNotJsx", "missingParser", "changedByAnotherPlugin")) {
      assertThat(r.path(untouched).isNull()).as(untouched + ": " + r.path(untouched)).isTrue();
    }
    assertThat(r.path("alreadyTagged").asText())
        .isEqualTo("export const A = () => <div data-cb-source=\"mine\"><p data-cb-source=\"src/T.jsx:1:51\"/></div>\n");
    assertThat(r.path("componentsAndFragments").asText()).isEqualTo("export const A = () => <><Foo/><Foo.Bar/><foo.bar/>"
        + "<svg:rect data-cb-source=\"src/C.jsx:1:52\"/><my-el data-cb-source=\"src/C.jsx:1:63\"/></>\n");
    // quotes, braces, & and < in a file name: a JS string in an expression container, read back intact by Babel
    assertThat(r.path("hostileName").path("values")).containsExactly(str("src/we\"ird {x} & <y>.jsx:1:24"));
    // columns count UTF-16 code units, as the parsers and the browser do
    assertThat(r.path("unicodeColumns")).containsExactly(str("src/U.jsx:1:24"), str("src/U.jsx:1:30"));
    assertThat(r.path("tsxGenerics")).containsExactly(str("src/G.tsx:2:40"), str("src/G.tsx:2:62"));
    JsonNode map = r.path("sourceMap");
    assertThat(map.path("generated").asInt()).as("the insertions moved the token").isGreaterThan(map.path("expected").asInt());
    assertThat(map.path("original").path("line").asInt()).isZero();
    assertThat(map.path("original").path("column").asInt()).isEqualTo(map.path("expected").asInt());
    assertThat(map.path("secondLine").path("column").asInt()).isEqualTo(map.path("expectedSecond").asInt());
    assertThat(map.path("sources")).containsExactly(str("src/M.jsx"));
    // JSX in .js only where the app's config compiles .js as JSX
    assertThat(r.path("jsxInJsWhenConfigured").asText()).isEqualTo("export const A = () => <div data-cb-source=\"src/jsx.js:1:24\">x</div>\n");
    assertThat(r.path("jsxInJsGlobs").path("deep").asText()).isEqualTo("export const A = () => <div data-cb-source=\"src/a/b.js:1:24\">x</div>\n");
    assertThat(r.path("jsxInJsGlobs").path("excluded").isNull()).isTrue();
    assertThat(r.path("jsxInJsGlobs").path("outside").isNull()).isTrue();
    assertThat(r.path("jsxLoaderWithoutInclude").isNull()).isTrue();
    assertThat(r.path("htmlChangedByAnotherPlugin").asText()).isEqualTo("<body><p>x</p><i>injected</i></body>");
  }

  @Test
  void vueAndSvelteTagsOnlyHostElementsOfFilesTheirCompilersAccept() {
    JsonNode vue = probe(VUE, "vue");
    for (String untouched : List.of("parseError", "compileError", "pug", "noTemplate")) {
      assertThat(vue.path(untouched).isNull()).as("vue " + untouched + ": " + vue.path(untouched)).isTrue();
    }
    // <Foo/>, <my-comp/>, <component>, <slot>, <template>, <keep-alive> untagged; what is inside them tagged
    assertThat(vue.path("componentsSlotsTemplates").path("found"))
        .containsExactly(str("src/K.vue:2:3"), str("src/K.vue:2:69"), str("src/K.vue:2:96"));
    assertThat(vue.path("componentsSlotsTemplates").path("compileErrors").asInt()).isZero();
    assertThat(vue.path("hostileName").path("found")).containsExactly(str("src/we\"ird {x} & <y>.vue:2:3"));
    assertThat(vue.path("hostileName").path("compileErrors").asInt()).isZero();

    JsonNode svelte = probe(SVELTE, "svelte");
    for (String untouched : List.of("parseError", "compileError")) {
      assertThat(svelte.path(untouched).isNull()).as("svelte " + untouched + ": " + svelte.path(untouched)).isTrue();
    }
    // <title>, <svelte:*>, <Foo/> untagged; elements in svelte:head, snippets and await branches tagged
    assertThat(svelte.path("specialElements")).containsExactly(str("src/S.svelte:1:30"), str("src/S.svelte:4:15"),
        str("src/S.svelte:5:11"), str("src/S.svelte:5:28"));
    // a brace in the name would be Svelte code in an attribute: escaped, read back as text, compiles
    assertThat(svelte.path("hostileName")).containsExactly(str("src/we\"ird {x} & <y>.svelte:1:1"));
  }

  @Test
  void htmlScannerLeavesBrokenPagesUntouchedAndEscapesHostileNames() {
    JsonNode r = probe(HTML, "html");
    assertThat(r.path("unterminatedComment").asText()).isEqualTo("<body>\n<div></div>\n<!-- open\n");
    assertThat(r.path("unterminatedTag").asText()).isEqualTo("<body>\n<div title=\"x>\n");
    assertThat(r.path("quotedGreaterThan").asText()).isEqualTo("<body><div data-cb-source=\"index.html:1:7\" title='a>b' data-x=\"<p>\">"
        + "<P data-cb-source=\"index.html:1:37\">x</P></div></body>");
    assertThat(r.path("alreadyTagged").asText()).isEqualTo("<body><div data-cb-source=\"mine\"></div><DIV DATA-CB-SOURCE=\"x\"></DIV></body>");
    assertThat(r.path("hostileName").asText())
        .isEqualTo("<body><p data-cb-source=\"pa&quot;ge &#123;x&#125; &amp; &lt;y>.html:1:7\">x</p></body>");
    assertThat(r.path("outsideRoot").asText()).isEqualTo("<body><p>x</p></body>");
  }

  // ------------------------------------------------------------------ the app's own errors stay its own

  @Test
  void syntaxErrorsStillSurfaceAsTheFrameworksCompileDiagnostic() {
    assertCompileError(REACT, "src/App.jsx", """
        export default function App() {
          return <main><p>fine</p></main>
        }
        const broken = ;
        """, REACT_APP, 4);
    assertCompileError(SVELTE, "src/App.svelte", """
        <main>
          <p>fine</p>
          {#if}
        </main>
        """, svelteApp().get("src/App.svelte"), 3);
    assertCompileError(VUE, "src/App.vue", """
        <template>
          <main>
            <p :title="a +">fine</p>
          </main>
        </template>
        """, vueApp().get("src/App.vue"), 3);
  }

  @Test
  void runtimeErrorsAreStillSourceMappedThroughTheTaggedModule() {
    // the throwing expression sits after an inserted attribute on its line: only a correct source
    // map of the tagging step brings the column back to the file as written
    String app = """
        export default function App() {
          const none = null
          return <main id="thrower"><p className="x">{none.boom}</p></main>
        }
        """;
    write(REACT, "src/App.jsx", app);
    try {
      browser.topFrame();
      browser.navigate("about:blank");
      drafts.clearDiagnostics(REACT);
      browser.navigate(previews.get(REACT));
      PreviewDiagnostic d = awaitDiagnostic(REACT, PreviewDiagnostic.Kind.UNCAUGHT_ERROR, "boom");
      assertThat(d.file()).as(d.toString()).hasValue("src/App.jsx");
      assertThat(d.line()).as(d.toString()).hasValue(3);
      int start = app.lines().toList().get(2).indexOf("none.boom") + 1;
      assertThat(d.column().orElse(-1)).as(d.toString()).isBetween(start, start + "none.boom".length());
    } finally {
      write(REACT, "src/App.jsx", REACT_APP);
    }
  }

  // ------------------------------------------------------------------ publish builds

  @Test
  void publishBuildHasNoSourceTagsNorSelectModeClient(@TempDir Path apps, @TempDir Path publishes) throws Exception {
    try (LocalSandboxProvider own = ViteTestSupport.sandboxes(apps);
        ChatBuilder builder = ChatBuilder.builder().model(ScriptedModel.builder().build()).sandboxes(own)
            .template(ViteTemplates.react())
            .publisher(VitePublisher.builder(publishes, ViteTestSupport.buildSandboxes()).build()).build()) {
      Checkpoint initial = builder.createApp("published", ViteTemplates.REACT);
      PublishResult result = builder.publish("published", initial.id(), StatusListener.NONE);
      assertThat(result.success()).as(result.buildLog()).isTrue();
      Path dist = Path.of(result.outputLocation().orElseThrow());
      String all = readAll(dist);
      assertThat(all).contains("Hello from your new React app"); // the build holds the app's markup
      assertThat(all).doesNotContain("data-cb-source").doesNotContain("chatbuilder");
    }
    // while the draft of the same template's markup is tagged
    assertThat(ViteTestSupport.get(previews.get(REACT) + "src/App.jsx").body()).contains("data-cb-source");
  }

  // ------------------------------------------------------------------ select mode

  @Test
  void selectModePostsTheClickedElementsLocationAndKeepsTheClickFromTheApp() {
    openInParent(REACT, "#react-main button");
    // not on yet: the app gets its click
    browser.click("#react-main button");
    awaitFrameText("#react-main button", "Clicked 1 times");
    // the page itself (not its parent) and malformed messages do not turn it on
    browser.execute("window.postMessage({ type: 'chatbuilder:select-mode', on: true }, '*');"
        + "window.parent.postMessage('noise', '*'); return true");
    browser.topFrame();
    browser.execute("const f = document.getElementById('preview').contentWindow;"
        + "f.postMessage({ type: 'chatbuilder:select-mode', on: 'yes' }, '*');"
        + "f.postMessage({ type: 'chatbuilder:select-mode' }, '*'); f.postMessage(null, '*'); return true");
    browser.frame(0);
    browser.click("#react-main button");
    awaitFrameText("#react-main button", "Clicked 2 times");
    browser.topFrame();
    assertThat(browser.execute("return window.__messages.length").asInt()).as("the parent page records messages").isEqualTo(1); // 'noise'
    assertThat(parentMessages("chatbuilder:")).as("no acknowledgement, no selection").isEmpty();
    browser.frame(0);

    selectMode(true);
    browser.hover("#react-main em");
    JsonNode box = browser.execute("const b = document.getElementById('__chatbuilder-select-box');"
        + "const e = document.querySelector('#react-main em').getBoundingClientRect();"
        + "if (!b || b.style.display === 'none') return null; const r = b.getBoundingClientRect();"
        + "return [r.left - e.left, r.top - e.top, r.width - e.width, r.height - e.height]");
    assertThat(box.isArray()).as("outline box shown: " + box).isTrue();
    box.forEach(v -> assertThat(v.asDouble()).isCloseTo(0.0, org.assertj.core.data.Offset.offset(0.5)));

    browser.click("#react-main button");
    browser.click("#react-main em");
    browser.click("#react-main .badge");
    browser.click("#long");
    assertThat(frameText("#react-main button")).as("the app got no click").isEqualTo("Clicked 2 times");
    List<JsonNode> selected = awaitSelected(4);
    assertSelected(selected.get(0), "src/App.jsx", 17, 9, "button", "Clicked 2 times");
    assertSelected(selected.get(1), "src/App.jsx", 15, 16, "em", "anything");
    assertSelected(selected.get(2), "src/App.jsx", 5, 10, "span", "new");
    assertSelected(selected.get(3), "src/App.jsx", 20, 9, "p", ("word ".repeat(100)).trim().substring(0, 200));
    assertThat(selected.get(3).path("data").path("text").asText()).hasSize(200);
    // posted to the studio's origin, from the preview's
    browser.topFrame();
    String previewOrigin = previews.get(REACT).replaceAll("/$", "");
    assertThat(parentMessages("chatbuilder:element-selected")).allSatisfy(m -> assertThat(m.path("origin").asText()).isEqualTo(previewOrigin));
    browser.frame(0);

    selectMode(false);
    browser.click("#react-main button");
    awaitFrameText("#react-main button", "Clicked 3 times");
    browser.topFrame();
    assertThat(parentMessages("chatbuilder:element-selected")).hasSize(4);
  }

  @Test
  void selectModeReportsVueSvelteAndHtmlSourcesToo() {
    openInParent(VUE, "#vue-main .greeting");
    selectMode(true);
    browser.click("#vue-main .greeting");
    assertSelected(awaitSelected(1).get(0), "src/Greeting.vue", 2, 3, "p", "Hi Vue");

    openInParent(SVELTE, "#svelte-main li");
    selectMode(true);
    browser.click("#svelte-main li");
    assertSelected(awaitSelected(1).get(0), "src/App.svelte", 11, 7, "li", "item 1");

    openInParent(HTML, "#app main");
    selectMode(true);
    browser.click("#plain-main b");
    browser.click("#app h1"); // runtime markup without a tag of its own: the nearest tagged ancestor
    List<JsonNode> selected = awaitSelected(2);
    assertSelected(selected.get(0), "index.html", 13, 15, "b", "bold");
    assertSelected(selected.get(1), "index.html", 16, 5, "div", "Hello from your new app Ask the builder to change anything on this page.");
  }

  // ------------------------------------------------------------------ helpers

  private static com.fasterxml.jackson.databind.node.TextNode str(String s) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(s);
  }

  /**
   * Runs the plugin (preview/source-tags.cjs) with the probe of hostile inputs appended, by node in the
   * app's own sandbox (its parsers are the app's dependencies), and returns the probe's results.
   */
  private static JsonNode probe(String app, String mode) {
    try {
      String plugin;
      String harness;
      try (var in = ViteDraftRuntime.class.getResourceAsStream("preview/source-tags.cjs");
          var probe = SourceTagsTest.class.getResourceAsStream("source-tags-probe.cjs")) {
        plugin = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        harness = new String(probe.readAllBytes(), StandardCharsets.UTF_8);
      }
      Sandbox sandbox = sandboxes.open(app); // the app's sandbox, shared with the runtime: not closed here
      sandbox.write(".probe/source-tags-probe.cjs", (plugin + "\n" + harness).getBytes(StandardCharsets.UTF_8));
      CommandResult r = sandbox.run(new CommandRequest(List.of("node", ".probe/source-tags-probe.cjs", mode), "", Map.of(),
          Optional.empty()), CommandListener.NONE, new Cancellation());
      assertThat(r.exitCode()).as(r.stderr()).isZero();
      assertThat(r.isolated()).isTrue();
      JsonNode out = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.stdout());
      out.fields().forEachRemaining(e -> assertThat(e.getValue().path("threw").isMissingNode())
          .as(e.getKey() + " threw " + e.getValue()).isTrue());
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Opens the app's preview top-level and lists "tag#id source" of every tagged element in document order. */
  private static List<String> renderedTags(String app, String ready) {
    browser.topFrame();
    browser.navigate("about:blank");
    browser.navigate(previews.get(app));
    eventually(app + " to render " + ready, () -> browser.execute("return !!document.querySelector('" + ready + "')").asBoolean());
    return tagsInPage();
  }

  private static List<String> tagsInPage() {
    JsonNode list = browser.execute("return Array.from(document.querySelectorAll('[data-cb-source]')).map((e) =>"
        + " e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' ' + e.getAttribute('data-cb-source'))");
    List<String> out = new ArrayList<>();
    list.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** The studio's side: a page of another origin with the preview in an iframe; commands go to the frame. */
  private static void openInParent(String app, String ready) {
    browser.topFrame();
    browser.navigate("http://127.0.0.1:" + parent.getAddress().getPort() + "/?src="
        + java.net.URLEncoder.encode(previews.get(app), StandardCharsets.UTF_8));
    eventually("the parent page's iframe to load", () -> browser.execute("return window.__loaded === true").asBoolean());
    browser.frame(0);
    eventually(app + " to render " + ready + " in the iframe",
        () -> browser.execute("return !!document.querySelector('" + ready + "')").asBoolean());
  }

  /** Posts select-mode from the parent and waits for the preview's acknowledgement; back in the frame. */
  private static void selectMode(boolean on) {
    browser.topFrame();
    int before = parentMessages("chatbuilder:select-mode-changed").size();
    browser.execute("document.getElementById('preview').contentWindow.postMessage({ type: 'chatbuilder:select-mode', on: "
        + on + " }, '*'); return true");
    eventually("select mode " + on + " acknowledged", () -> {
      List<JsonNode> acks = parentMessages("chatbuilder:select-mode-changed");
      return acks.size() > before && acks.get(acks.size() - 1).path("data").path("on").asBoolean() == on;
    });
    browser.frame(0);
  }

  private static List<JsonNode> awaitSelected(int count) {
    browser.topFrame();
    List<List<JsonNode>> last = new ArrayList<>(List.of(List.of()));
    eventually(() -> count + " element-selected messages, got " + last.get(0), () -> {
      last.set(0, parentMessages("chatbuilder:element-selected"));
      return last.get(0).size() >= count;
    });
    browser.frame(0);
    assertThat(last.get(0)).hasSize(count);
    return last.get(0);
  }

  /** The parent's received messages whose data.type starts with {@code typePrefix}; run in the top frame. */
  private static List<JsonNode> parentMessages(String typePrefix) {
    JsonNode all = browser.execute("return window.__messages || []");
    List<JsonNode> out = new ArrayList<>();
    all.forEach(m -> {
      if (m.path("data").path("type").asText("").startsWith(typePrefix)) {
        out.add(m);
      }
    });
    return out;
  }

  private static void assertSelected(JsonNode message, String file, int line, int column, String tag, String text) {
    JsonNode data = message.path("data");
    assertThat(data.path("type").asText()).isEqualTo("chatbuilder:element-selected");
    assertThat(data.path("file").asText()).as(data.toString()).isEqualTo(file);
    assertThat(data.path("line").asInt()).as(data.toString()).isEqualTo(line);
    assertThat(data.path("column").asInt()).as(data.toString()).isEqualTo(column);
    assertThat(data.path("tag").asText()).as(data.toString()).isEqualTo(tag);
    assertThat(data.path("text").asText()).as(data.toString()).isEqualTo(text);
    List<String> fields = new ArrayList<>();
    data.fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsExactlyInAnyOrder("type", "file", "line", "column", "tag", "text");
  }

  private static void awaitFrameText(String css, String text) {
    eventually(() -> css + " to read '" + text + "', reads '" + frameText(css) + "'", () -> frameText(css).equals(text));
  }

  private static String frameText(String css) {
    return browser.execute("return document.querySelector('" + css + "').textContent.replace(/\\s+/g, ' ').trim()").asText();
  }

  private static void assertCompileError(String app, String file, String broken, String fixed, int line) {
    try {
      browser.topFrame();
      browser.navigate("about:blank");
      write(app, file, broken);
      drafts.clearDiagnostics(app);
      browser.navigate(previews.get(app));
      PreviewDiagnostic d = awaitDiagnostic(app, PreviewDiagnostic.Kind.COMPILE_ERROR, "");
      assertThat(d.file()).as(d.toString()).hasValue(file);
      assertThat(d.line()).as(d.toString()).hasValue(line);
      assertThat(d.message()).as(d.toString()).doesNotContainIgnoringCase("chatbuilder").doesNotContain("data-cb-source");
      assertThat(d.stack().orElse("")).as(d.toString()).doesNotContain("data-cb-source");
    } finally {
      write(app, file, fixed);
    }
  }

  private static PreviewDiagnostic awaitDiagnostic(String app, PreviewDiagnostic.Kind kind, String text) {
    PreviewDiagnostic[] found = new PreviewDiagnostic[1];
    eventually(() -> kind + " '" + text + "' of " + app + "; got " + drafts.diagnostics(app), () -> {
      for (PreviewDiagnostic d : drafts.diagnostics(app)) {
        if (d.kind() == kind && d.message().contains(text)) {
          found[0] = d;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  private static void write(String app, String path, String content) {
    try {
      Path target = shared.resolve(app).resolve(path);
      Files.createDirectories(target.getParent());
      Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
      Files.writeString(tmp, content);
      Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String readAll(Path dir) throws IOException {
    StringBuilder out = new StringBuilder();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        out.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    return out.toString();
  }

  // ------------------------------------------------------------------ the apps

  /** The runtime's vite-react template (its lockfile too), with App.jsx and a .tsx component of this test. */
  private static Map<String, String> reactApp() {
    Map<String, String> files = new LinkedHashMap<>();
    ViteTemplates.react().files().forEach((path, bytes) -> files.put(path, new String(bytes, StandardCharsets.UTF_8)));
    files.put("src/App.jsx", REACT_APP);
    files.put("src/Note.tsx", REACT_NOTE);
    return files;
  }

  private static String packageJson(String name, String dependencies, String devDependencies) {
    return """
        {
          "name": "%s",
          "private": true,
          "version": "0.0.0",
          "type": "module",
          "dependencies": { %s },
          "devDependencies": { %s },
          "overrides": { "rollup": "4.67.4" }
        }
        """.formatted(name, dependencies, devDependencies);
  }

  private static String indexHtml(String title) {
    return """
        <!doctype html>
        <html lang="en">
          <head>
            <meta charset="UTF-8" />
            <title>%s</title>
          </head>
          <body>
            <div id="app"></div>
            <script type="module" src="/src/main.js"></script>
          </body>
        </html>
        """.formatted(title);
  }

  static Map<String, String> vueApp() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("package.json", packageJson("vite-vue-app", "\"vue\": \"3.5.45\"", "\"@vitejs/plugin-vue\": \"6.0.1\", \"vite\": \"7.3.8\""));
    files.put("index.html", indexHtml("Vue app"));
    files.put("vite.config.js", """
        import { defineConfig } from 'vite'
        import vue from '@vitejs/plugin-vue'

        export default defineConfig({
          plugins: [vue()],
        })
        """);
    files.put("src/main.js", """
        import { createApp } from 'vue'
        import App from './App.vue'

        createApp(App).mount('#app')
        """);
    files.put("src/App.vue", """
        <script setup>
        import { ref } from 'vue'
        import Greeting from './Greeting.vue'
        const count = ref(0)
        </script>

        <template>
          <main id="vue-main">
            <h1>Hello from Vue</h1>
            <Greeting name="Vue" />
            <ul>
              <li v-for="i in 2" :key="i">item {{ i }}</li>
            </ul>
            <button type="button" @click="count++">Clicked {{ count }} times</button>
          </main>
        </template>
        """);
    files.put("src/Greeting.vue", """
        <template>
          <p class="greeting">Hi {{ name }}</p>
        </template>

        <script setup>
        defineProps({ name: String })
        </script>
        """);
    return files;
  }

  static Map<String, String> svelteApp() {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("package.json", packageJson("vite-svelte-app", "",
        "\"@sveltejs/vite-plugin-svelte\": \"6.2.4\", \"svelte\": \"5.57.3\", \"vite\": \"7.3.8\""));
    files.put("index.html", indexHtml("Svelte app"));
    files.put("vite.config.js", """
        import { defineConfig } from 'vite'
        import { svelte } from '@sveltejs/vite-plugin-svelte'

        export default defineConfig({
          plugins: [svelte()],
        })
        """);
    files.put("src/main.js", """
        import { mount } from 'svelte'
        import App from './App.svelte'

        mount(App, { target: document.getElementById('app') })
        """);
    files.put("src/App.svelte", """
        <script>
          import Greeting from './Greeting.svelte'
          let count = $state(0)
        </script>

        <main id="svelte-main">
          <h1>Hello from Svelte</h1>
          <Greeting name="Svelte" />
          <ul>
            {#each [1, 2] as i}
              <li>item {i}</li>
            {/each}
          </ul>
          <button type="button" onclick={() => count++}>Clicked {count} times</button>
        </main>
        """);
    files.put("src/Greeting.svelte", """
        <script>
          let { name } = $props()
        </script>

        <p class="greeting">Hi {name}</p>
        """);
    return files;
  }

  /** The runtime's vanilla template with static markup in index.html and a second page. */
  static Map<String, String> htmlApp() {
    Map<String, String> files = new LinkedHashMap<>();
    ViteTemplates.vanilla().files().forEach((path, bytes) -> files.put(path, new String(bytes, StandardCharsets.UTF_8)));
    files.put("index.html", """
        <!doctype html>
        <html lang="en">
          <head>
            <meta charset="UTF-8" />
            <title>Plain page</title>
            <style>p > b { color: rgb(200, 0, 0) }</style>
          </head>
          <body>
            <!-- <div id="commented-out"></div> -->
            <script>const markup = '<section id="in-a-script"></section>'</script>
            <main id="plain-main">
              <h1 title="a > b">Plain HTML</h1>
              <p>Some <b>bold</b> text</p>
            </main>
            <textarea id="raw" hidden><div id="in-a-textarea"></div></textarea>
            <div id="app"></div>
            <script type="module" src="/src/main.js"></script>
          </body>
        </html>
        """);
    files.put("pages/about.html", """
        <!doctype html>
        <html lang="en">
          <head>
            <title>About</title>
          </head>
          <body>
            <section id="about">
              <a href="/">Home</a>
            </section>
          </body>
        </html>
        """);
    return files;
  }
}
