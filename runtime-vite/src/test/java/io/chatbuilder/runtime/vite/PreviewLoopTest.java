package io.chatbuilder.runtime.vite;

import static io.chatbuilder.runtime.vite.ViteTestSupport.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.tool.CheckApp;
import io.chatbuilder.core.tool.ToolContext;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The preview loop of issue 16 end to end, with real parts: a React + TypeScript app (the shape of
 * create-vite's react-ts template) installed by real npm and served by a real Vite dev server inside
 * a bubblewrap sandbox, opened in real headless Chromium. What the page reports reaches
 * {@link ViteDraftRuntime#diagnostics} with the app-relative, source-mapped file and line;
 * {@code check_app} builds and type-checks the same app inside the sandbox; agent runs
 * ({@link ScriptedModel}) use both tools and the opt-in final check. One installed app for the class.
 */
class PreviewLoopTest {
  private static final String APP = "tsapp";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_ENTRIES = 50;
  private static final long MAX_BYTES = 64 * 1024;
  private static final String CLEAN_APP = """
      export default function App() {
        const greeting: string = 'Hello from TypeScript'
        return <h1 id="greeting">{greeting}</h1>
      }
      """;

  @TempDir static Path shared;
  private static LocalSandboxProvider sandboxes;
  private static ViteDraftRuntime drafts;
  private static HeadlessChromium browser;
  private static Sandbox sandbox;
  private static String preview;
  private static final List<CommandResult> commands = new CopyOnWriteArrayList<>();
  private static final List<List<String>> argvs = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    SandboxSetup.requireBubblewrap(shared);
    for (Map.Entry<String, byte[]> file : reactTs().entrySet()) {
      Path target = shared.resolve(APP).resolve(file.getKey());
      java.nio.file.Files.createDirectories(target.getParent());
      java.nio.file.Files.write(target, file.getValue());
    }
    sandboxes = ViteTestSupport.sandboxes(shared);
    drafts = ViteDraftRuntime.builder(sandboxes).maxDiagnostics(MAX_ENTRIES).maxDiagnosticBytes(MAX_BYTES).build();
    DraftStatus status = drafts.start(APP, StatusListener.NONE);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    preview = status.previewUrl().orElseThrow();
    sandbox = recording(sandboxes.open(APP));
    browser = HeadlessChromium.start(shared.resolve("chromium-profile"), Path.of("target", "chromedriver-preview-loop.log"));
    // a first load lets Vite pre-bundle React (which may reload the page) before any test counts reports
    open(CLEAN_APP);
    eventually("the clean app to render", () -> browser.execute(
        "const h = document.getElementById('greeting'); return h ? h.textContent : ''").asText().contains("Hello from TypeScript"));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.close();
    }
    if (drafts != null) {
      drafts.close();
    }
    if (sandboxes != null) {
      sandboxes.close();
    }
  }

  // ------------------------------------------------------------------ preview diagnostics

  @Test
  void syntaxErrorIsACompileErrorWithTheAppRelativeFileAndLine() {
    open("""
        export default function App() {
          const items = [1, 2, 3]
          return <ul>{items.map((i) => <li key={i}>{i}</li>)}</ul>
        }
        const broken = ;
        """);
    PreviewDiagnostic d = awaitDiagnostic(PreviewDiagnostic.Kind.COMPILE_ERROR, "");
    assertThat(d.file()).contains("src/App.tsx");
    assertThat(d.line()).hasValue(5);
    assertThat(d.column()).isPresent();
    assertThat(d.location()).startsWith("src/App.tsx:5:");
    assertNoHostPaths(d);
  }

  @Test
  void componentThatThrowsIsAnUncaughtErrorAtItsSourceMappedLine() {
    open("""
        export default function App() {
          const items: string[] = []
          if (items.length === 0) {
            throw new Error('boom from App')
          }
          return <p>never</p>
        }
        """);
    PreviewDiagnostic d = awaitDiagnostic(PreviewDiagnostic.Kind.UNCAUGHT_ERROR, "boom from App");
    assertThat(d.message()).contains("Error: boom from App");
    // the transformed module has React Refresh code and compiled JSX above it: line 4 is the source map's answer
    assertThat(d.location()).as(d.toString()).startsWith("src/App.tsx:4:");
    assertThat(d.stack()).hasValueSatisfying(s -> assertThat(s).contains("src/App.tsx"));
    assertNoHostPaths(d);
  }

  @Test
  void unhandledRejectionAndConsoleErrorAreReportedWhereTheyHappen() {
    open("""
        Promise.reject(new Error('rejected on purpose'))
        console.error('logged on purpose', 42, { why: 'test' })
        export default function App() {
          return <p>ok</p>
        }
        """);
    PreviewDiagnostic rejection = awaitDiagnostic(PreviewDiagnostic.Kind.UNHANDLED_REJECTION, "rejected on purpose");
    assertThat(rejection.location()).as(rejection.toString()).startsWith("src/App.tsx:1:");
    PreviewDiagnostic logged = awaitDiagnostic(PreviewDiagnostic.Kind.CONSOLE_ERROR, "logged on purpose");
    assertThat(logged.message()).isEqualTo("logged on purpose 42 {\"why\":\"test\"}");
    assertThat(logged.location()).as(logged.toString()).startsWith("src/App.tsx:2:");
    assertNoHostPaths(rejection);
    assertNoHostPaths(logged);
  }

  @Test
  void thousandIdenticalErrorsAreOneEntryCountingThousand() throws Exception {
    List<PreviewDiagnostic> delivered = new CopyOnWriteArrayList<>();
    try (var subscription = drafts.onDiagnostic((app, d) -> {
      if (d.message().equals("the same error")) {
        delivered.add(d);
      }
    })) {
      open("""
          for (let i = 0; i < 1000; i++) console.error('the same error')
          export default function App() {
            return <p>ok</p>
          }
          """);
      eventually(() -> "count 1000, got " + drafts.diagnostics(APP), () -> drafts.diagnostics(APP).stream()
          .anyMatch(d -> d.message().equals("the same error") && d.count() == 1000));
      Thread.sleep(1000); // nothing more comes
    }
    List<PreviewDiagnostic> same = drafts.diagnostics(APP).stream().filter(d -> d.message().equals("the same error")).toList();
    assertThat(same).hasSize(1);
    assertThat(same.get(0).count()).isEqualTo(1000);
    assertThat(same.get(0).location()).startsWith("src/App.tsx:1:");
    // coalesced on the way: far fewer listener calls than reports, the last with the full count
    assertThat(delivered).isNotEmpty().hasSizeLessThan(20);
    assertThat(delivered.get(delivered.size() - 1).count()).isEqualTo(1000);
  }

  @Test
  void floodOfDistinctErrorsStaysWithinTheBufferBounds() {
    // 40 bursts of 50 distinct errors, each ~ 0.4 KB of text: 2,000 reports reach the runtime (the page
    // sends at most 100 distinct ones per 150 ms, so two bursts a slow page runs back to back still fit)
    open("""
        let burst = 0
        const timer = setInterval(() => {
          for (let i = 0; i < 50; i++) console.error('distinct error ' + (burst * 50 + i) + ' ' + 'x'.repeat(300))
          if (++burst === 40) clearInterval(timer)
        }, 200)
        export default function App() {
          return <p>flooding</p>
        }
        """);
    eventually(() -> "the last distinct error, got " + drafts.diagnostics(APP).size() + " entries",
        () -> drafts.diagnostics(APP).stream().anyMatch(d -> d.message().startsWith("distinct error 1999 ")));
    List<PreviewDiagnostic> all = drafts.diagnostics(APP);
    assertThat(all.size()).isLessThanOrEqualTo(MAX_ENTRIES);
    assertThat(drafts.diagnosticBytes(APP)).isLessThanOrEqualTo(MAX_BYTES);
    assertThat(all).noneMatch(d -> d.message().startsWith("distinct error 0 ")); // the oldest went first
    assertThat(all.get(all.size() - 1).message()).startsWith("distinct error 1999 ");
  }

  @Test
  void theEndpointTakesOnlySameOriginJsonOfBoundedSize() throws Exception {
    browser.navigate("about:blank");
    Thread.sleep(700);
    drafts.clearDiagnostics(APP);
    String endpoint = preview + "__chatbuilder/diagnostics";
    String report = "[{\"kind\":\"console_error\",\"message\":\"posted MARK\",\"count\":3}]";
    // another site's page: a simple (no preflight) text/plain post, or JSON with its Origin
    assertThat(post(endpoint, "text/plain", null, report.replace("MARK", "plain"))).isEqualTo(403);
    assertThat(post(endpoint, "application/json", "http://evil.example", report.replace("MARK", "evil"))).isEqualTo(403);
    assertThat(post(endpoint, "application/json", null, "[" + "1,".repeat(200_000) + "1]")).isEqualTo(413);
    assertThat(post(endpoint, "application/json", preview.replaceAll("/$", ""), report.replace("MARK", "ok"))).isEqualTo(204);
    awaitDiagnostic(PreviewDiagnostic.Kind.CONSOLE_ERROR, "posted ok");
    Thread.sleep(500);
    assertThat(drafts.diagnostics(APP)).extracting(PreviewDiagnostic::message).containsExactly("posted ok");
    assertThat(drafts.diagnostics(APP).get(0).count()).isEqualTo(3);
  }

  private static int post(String url, String type, String origin, String body) throws Exception {
    java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
        .header("Content-Type", type).POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    if (origin != null) {
      request.header("Origin", origin);
    }
    return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
        .send(request.build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  // ------------------------------------------------------------------ check_app

  @Test
  void checkAppPassesOnTheCleanAppAndReportsATypeErrorWithFileAndLineInsideTheSandbox() {
    CheckApp tool = CheckApp.create();
    write("src/App.tsx", CLEAN_APP);
    commands.clear();
    argvs.clear();
    CheckApp.Check clean = tool.check(context("run-clean"));
    assertThat(clean.passed()).as(clean.report()).isTrue();
    assertThat(clean.commands()).containsExactly("tsc --noEmit", "npm run build");
    assertThat(argvs).contains(List.of("node", "node_modules/typescript/bin/tsc", "--noEmit"), List.of("npm", "run", "build"));
    assertThat(commands).isNotEmpty().allMatch(CommandResult::isolated); // bubblewrap, every one

    write("src/App.tsx", """
        export default function App() {
          const greeting: string = 'Hello'
          const count: number = greeting
          return <h1>{greeting} {count}</h1>
        }
        """);
    CheckApp.Check broken = tool.check(context("run-broken"));
    assertThat(broken.passed()).isFalse();
    assertThat(broken.errors()).as(broken.report()).anyMatch(e -> e.startsWith("src/App.tsx:3:9 TS2322 "));
    assertThat(broken.report()).doesNotContain(shared.toString());
    assertThat(broken.repeated()).isFalse();
    assertThat(tool.check(context("run-broken")).repeated()).isTrue(); // the same errors again in that run
    write("src/App.tsx", CLEAN_APP);
  }

  @Test
  void agentUsesCheckAppAndReadPreviewLogsAndTheFinalCheckSendsErrorsBackOnce() throws Exception {
    String broken = """
        export default function App() {
          const title: string = 'Shop'
          const count: number = title
          return <h1>{title} {count}</h1>
        }
        """;
    // 1. the model checks, reads the preview's logs, fixes, says done
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", writeArgs("src/App.tsx", broken)))
        .turn(t -> t.toolCall("check_app", "{}").toolCall("read_preview_logs", "{\"limit\":5}"))
        .turn(t -> t.toolCall("write_file", writeArgs("src/App.tsx", CLEAN_APP)))
        .turn(t -> t.text("Fixed the type error; check_app passes."))
        .build();
    try (ChatBuilder builder = facade(model, false)) {
      RunResult run = builder.chat(APP, "Show the shop's title").completion().get(5, TimeUnit.MINUTES);
      assertThat(run.outcome()).as(run.toString()).isEqualTo(RunOutcome.COMPLETED);
      ModelRequest first = model.requests().get(0);
      assertThat(first.tools()).extracting(ToolDefinition::name).contains("check_app", "read_preview_logs");
      assertThat(first.systemPrompt()).contains("check_app").contains("before you say you are done");
      String checked = toolResult(model.requests().get(2), "check_app");
      assertThat(checked).contains("check failed").contains("src/App.tsx:3:9 TS2322");
      assertThat(toolResult(model.requests().get(2), "read_preview_logs")).isNotEmpty();
    }

    // 2. opt-in final check: the model says done on a broken file, gets the errors once, fixes them
    ScriptedModel fixing = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", writeArgs("src/App.tsx", broken)))
        .turn(t -> t.text("Done."))
        .turn(t -> t.toolCall("write_file", writeArgs("src/App.tsx", CLEAN_APP)))
        .turn(t -> t.text("Fixed what the check found."))
        .build();
    try (ChatBuilder builder = facade(fixing, true)) {
      var handle = builder.chat(APP, "Show the title again");
      RunResult run = handle.completion().get(5, TimeUnit.MINUTES);
      assertThat(run.outcome()).as(run.toString()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(fixing.requests()).hasSize(4); // one extra turn for the errors, no second check
      List<ChatMessage> third = fixing.requests().get(2).messages();
      assertThat(third.get(third.size() - 1)).isInstanceOfSatisfying(ChatMessage.Note.class,
          n -> assertThat(n.text()).contains("automatic check_app").contains("src/App.tsx:3:9 TS2322"));
      assertThat(statuses(handle.events())).anyMatch(s -> s.startsWith("final check found 1 error"));
    }

    // 3. the same error the model already saw from its own check_app ends the run: no loop
    ScriptedModel stubborn = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", writeArgs("src/App.tsx", broken)))
        .turn(t -> t.toolCall("check_app", "{}"))
        .turn(t -> t.text("I could not fix it."))
        .build();
    try (ChatBuilder builder = facade(stubborn, true)) {
      var handle = builder.chat(APP, "Break it");
      RunResult run = handle.completion().get(5, TimeUnit.MINUTES);
      assertThat(run.outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(stubborn.requests()).hasSize(3);
      assertThat(statuses(handle.events())).anyMatch(s -> s.contains("the same 1 error the model's last check_app found"));
    }
    write("src/App.tsx", CLEAN_APP);
  }

  // ------------------------------------------------------------------ helpers

  /** Loads {@code app} as src/App.tsx into a fresh page, with no diagnostics of earlier pages. */
  private static void open(String app) {
    browser.navigate("about:blank");
    write("src/App.tsx", app);
    try {
      Thread.sleep(700); // reports of the last page in flight (client 150 ms + server 200 ms batching) land first
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    drafts.clearDiagnostics(APP);
    browser.navigate(preview);
  }

  private static void write(String path, String content) {
    sandbox.write(path, content.getBytes(StandardCharsets.UTF_8));
  }

  private static PreviewDiagnostic awaitDiagnostic(PreviewDiagnostic.Kind kind, String text) {
    PreviewDiagnostic[] found = {null};
    eventually(() -> kind + " containing '" + text + "'; got " + drafts.diagnostics(APP), () -> {
      found[0] = drafts.diagnostics(APP).stream().filter(d -> d.kind() == kind && d.message().contains(text))
          .findFirst().orElse(null);
      return found[0] != null;
    });
    return found[0];
  }

  private static void assertNoHostPaths(PreviewDiagnostic d) {
    String root = shared.toString();
    assertThat(d.message()).doesNotContain(root);
    assertThat(d.stack().orElse("")).doesNotContain(root).doesNotContain("127.0.0.1");
  }

  private static ChatBuilder facade(ScriptedModel model, boolean finalCheck) {
    // the facade must not close the class's sandbox and runtime
    return ChatBuilder.builder().model(model)
        .sandboxes(appId -> notClosing(Sandbox.class, sandboxes.open(appId)))
        .draftRuntime(notClosing(DraftRuntime.class, drafts))
        .checkBeforeDone(finalCheck)
        .build();
  }

  private static String writeArgs(String path, String content) {
    return JSON.createObjectNode().put("path", path).put("content", content).toString();
  }

  private static String toolResult(ModelRequest request, String tool) {
    return request.messages().stream().filter(m -> m instanceof ChatMessage.ToolResult r && r.toolName().equals(tool))
        .map(m -> ((ChatMessage.ToolResult) m).content()).reduce((a, b) -> b).orElse("");
  }

  private static List<String> statuses(List<Event> events) {
    return events.stream().filter(e -> e instanceof Event.Status).map(e -> ((Event.Status) e).message()).toList();
  }

  private static ToolContext context(String runId) {
    return new ToolContext() {
      @Override
      public String appId() {
        return APP;
      }

      @Override
      public String runId() {
        return runId;
      }

      @Override
      public String callId() {
        return "call_1";
      }

      @Override
      public Sandbox sandbox() {
        return sandbox;
      }

      @Override
      public Cancellation cancellation() {
        return new Cancellation();
      }

      @Override
      public void status(String message) {}
    };
  }

  /** The sandbox, recording what it runs and how (isolated or not). */
  private static Sandbox recording(Sandbox target) {
    return (Sandbox) Proxy.newProxyInstance(Sandbox.class.getClassLoader(), new Class<?>[] {Sandbox.class}, (proxy, method, args) -> {
      if (method.getName().equals("close")) {
        return null;
      }
      try {
        Object result = method.invoke(target, args);
        if (method.getName().equals("run")) {
          argvs.add(((CommandRequest) args[0]).argv());
          commands.add((CommandResult) result);
        }
        return result;
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    });
  }

  private static <T> T notClosing(Class<T> type, T target) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
      if (method.getName().equals("close")) {
        return null;
      }
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    }));
  }

  /**
   * create-vite's react-ts shape on the runtime's React template: TypeScript sources, a tsconfig,
   * typescript. No lockfile (the runtime runs npm install for it), so not an {@link AppTemplate}.
   */
  static Map<String, byte[]> reactTs() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    ViteTemplates.react().files().forEach((path, bytes) -> {
      if (!path.startsWith("src/") && !path.equals("package-lock.json") && !path.equals("package.json")) {
        files.put(path, bytes);
      }
    });
    String html = new String(files.get("index.html"), StandardCharsets.UTF_8).replace("/src/main.jsx", "/src/main.tsx");
    files.put("index.html", utf8(html));
    files.put("package.json", utf8("""
        {
          "name": "vite-react-ts-app",
          "private": true,
          "version": "0.0.0",
          "type": "module",
          "scripts": {
            "dev": "vite",
            "build": "vite build"
          },
          "dependencies": {
            "react": "19.2.0",
            "react-dom": "19.2.0"
          },
          "devDependencies": {
            "@types/react": "19.2.6",
            "@types/react-dom": "19.2.7",
            "@vitejs/plugin-react": "5.2.0",
            "typescript": "5.9.3",
            "vite": "7.3.8"
          },
          "overrides": {
            "rollup": "4.67.4"
          }
        }
        """));
    files.put("tsconfig.json", utf8("""
        {
          "compilerOptions": {
            "target": "ES2022",
            "lib": ["ES2022", "DOM", "DOM.Iterable"],
            "module": "ESNext",
            "moduleResolution": "bundler",
            "allowImportingTsExtensions": true,
            "isolatedModules": true,
            "jsx": "react-jsx",
            "strict": true,
            "noEmit": true,
            "skipLibCheck": true
          },
          "include": ["src"]
        }
        """));
    files.put("src/main.tsx", utf8("""
        import { StrictMode } from 'react'
        import { createRoot } from 'react-dom/client'
        import App from './App.tsx'

        createRoot(document.getElementById('root')!).render(
          <StrictMode>
            <App />
          </StrictMode>,
        )
        """));
    files.put("src/App.tsx", utf8(CLEAN_APP));
    return files;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
