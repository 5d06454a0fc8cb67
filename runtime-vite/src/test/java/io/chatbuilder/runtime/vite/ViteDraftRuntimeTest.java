package io.chatbuilder.runtime.vite;

import static io.chatbuilder.runtime.vite.ViteTestSupport.answers;
import static io.chatbuilder.runtime.vite.ViteTestSupport.eventually;
import static io.chatbuilder.runtime.vite.ViteTestSupport.eventuallyServes;
import static io.chatbuilder.runtime.vite.ViteTestSupport.get;
import static io.chatbuilder.runtime.vite.ViteTestSupport.writeTemplate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real npm (registry, then the shared cache) and real Vite dev servers, every process inside a
 * bubblewrap sandbox of {@code sandbox-local}; the preview is reached through the sandbox's endpoint.
 */
class ViteDraftRuntimeTest {
  @TempDir Path apps;
  /** One installed vanilla app the lifecycle tests share, so each does not pay for its own npm ci. */
  @TempDir static Path shared;
  /** Sandboxes of the shared directory; one per app, like a host's, for the whole class. */
  private static LocalSandboxProvider sharedSandboxes;
  private final List<AutoCloseable> closeAfter = new CopyOnWriteArrayList<>();
  private final List<String> statuses = new CopyOnWriteArrayList<>();
  private LocalSandboxProvider sandboxes;

  @BeforeAll
  static void bubblewrap() {
    SandboxSetup.requireBubblewrap(shared);
    sharedSandboxes = ViteTestSupport.sandboxes(shared);
  }

  @AfterAll
  static void closeShared() {
    if (sharedSandboxes != null) {
      sharedSandboxes.close();
    }
  }

  @BeforeEach
  void openSandboxes() {
    sandboxes = closing(ViteTestSupport.sandboxes(apps));
  }

  @AfterEach
  void closeAll() throws Exception {
    java.util.Collections.reverse(closeAfter);
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
  }

  private ViteDraftRuntime.Builder runtime() {
    return ViteDraftRuntime.builder(sandboxes);
  }

  /** A runtime on the shared directory, where app {@code vanilla} exists (installed by the first start). */
  private ViteDraftRuntime.Builder sharedRuntime() {
    if (!Files.exists(shared.resolve("vanilla"))) {
      writeTemplate(shared.resolve("vanilla"), ViteTemplates.vanilla());
    }
    return ViteDraftRuntime.builder(sharedSandboxes);
  }

  private static long vitePid(Path root) {
    return ViteTestSupport.viteProcess(root).orElseThrow(() -> new AssertionError("no vite process in " + root)).pid();
  }

  private <T extends AutoCloseable> T closing(T closeable) {
    closeAfter.add(closeable);
    return closeable;
  }

  @Test
  void vanillaPreviewFollowsSandboxWritesAgentEditsAndUndoWithoutRestart() throws Exception {
    ViteDraftRuntime drafts = closing(runtime().build());
    String edited = "document.querySelector('#app').innerHTML = '<h1>Edited by the agent</h1>'\n";
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.text("Changing the page.").toolCall("write_file",
            new ObjectMapper().createObjectNode().put("path", "src/main.js").put("content", edited).toString()))
        .turn(t -> t.text("Done."))
        .build();
    ChatBuilder builder = closing(ChatBuilder.builder().model(model)
        .sandboxes(sandboxes)
        .template(ViteTemplates.vanilla()).template(ViteTemplates.react())
        .draftRuntime(drafts)
        .build());

    assertThat(builder.createApp("shop", ViteTemplates.VANILLA).type()).isEqualTo(CheckpointType.INITIAL);
    DraftStatus status = builder.startDraft("shop", statuses::add);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    assertThat(status.error()).isEmpty();
    assertThat(statuses).anyMatch(s -> s.contains("installing dependencies"));
    assertThat(statuses).anyMatch(s -> s.startsWith("preview ready at "));
    String url = status.previewUrl().orElseThrow();
    assertThat(url).startsWith("http://127.0.0.1:");
    assertThat(get(url).body()).contains("<div data-cb-source=\"index.html:9:5\" id=\"app\"></div>").contains("/src/main.js").contains("/@vite/client");
    // The page and its modules may talk only to their own origin (not the host's API) and are not sniffed.
    for (String path : new String[] {"", "src/main.js", "@vite/client"}) {
      java.net.http.HttpHeaders headers = get(url + path).headers();
      assertThat(headers.firstValue("Content-Security-Policy")).as(path).hasValueSatisfying(csp ->
          assertThat(csp).isEqualTo(io.chatbuilder.core.runtime.AppPagePolicy.preview())
              .contains("default-src 'self'").contains("connect-src 'self';").contains("object-src 'none'"));
      assertThat(headers.firstValue("X-Content-Type-Options")).as(path).hasValue("nosniff");
    }
    assertThat(get(url + "src/main.js").body()).contains("Hello from your new app");
    Path root = apps.resolve("shop");
    long pid = vitePid(root);
    assertThat(builder.draftStatus("shop").logTail()).anyMatch(l -> l.contains("VITE v7.3.8"));

    // a write through the sandbox is served by the same server (HMR via its file watcher)
    Sandbox sandbox = builder.sandbox("shop");
    String html = new String(sandbox.read("index.html").bytes(), StandardCharsets.UTF_8);
    sandbox.write("index.html", html.replace("<title>New app</title>", "<title>Shop</title>").getBytes(StandardCharsets.UTF_8));
    eventuallyServes(url, "<title>Shop</title>");

    // an agent run edits main.js; the preview serves the edit
    RunResult run = builder.chat("shop", "Change the heading").completion().get(60, TimeUnit.SECONDS);
    assertThat(run.checkpoint()).isPresent();
    eventuallyServes(url + "src/main.js", "Edited by the agent");
    assertThat(get(url + "src/main.js").body()).doesNotContain("Hello from your new app");

    // undo: the old content is served again; untouched files keep their time, the server its process
    Path style = apps.resolve("shop/src/style.css");
    FileTime styleTime = Files.getLastModifiedTime(style);
    assertThat(builder.undo("shop").type()).isEqualTo(CheckpointType.UNDO);
    assertThat(Files.readString(apps.resolve("shop/src/main.js"))).contains("Hello from your new app");
    eventuallyServes(url + "src/main.js", "Hello from your new app");
    assertThat(Files.getLastModifiedTime(style)).isEqualTo(styleTime);
    assertThat(vitePid(root)).isEqualTo(pid);
    DraftStatus after = builder.draftStatus("shop");
    assertThat(after.state()).isEqualTo(DraftState.RUNNING);
    assertThat(after.restarts()).isZero();
    assertThat(after.previewUrl()).hasValue(url);

    // starting again returns the running server
    assertThat(builder.startDraft("shop", statuses::add).previewUrl()).hasValue(url);
    assertThat(vitePid(root)).isEqualTo(pid);
  }

  @Test
  void reactAppServesItsPageAndEdits() throws Exception {
    ViteDraftRuntime drafts = closing(runtime().build());
    ChatBuilder builder = closing(ChatBuilder.builder().model(ScriptedModel.builder().build())
        .sandboxes(sandboxes)
        .template(ViteTemplates.react())
        .draftRuntime(drafts)
        .build());
    builder.createApp("react-app", ViteTemplates.REACT);
    DraftStatus status = builder.startDraft("react-app", statuses::add);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    String url = status.previewUrl().orElseThrow();
    assertThat(get(url).body()).contains("<div data-cb-source=\"index.html:9:5\" id=\"root\"></div>").contains("@react-refresh");
    String app = get(url + "src/App.jsx").body();
    assertThat(app).contains("Hello from your new React app").contains("jsxDEV").doesNotContain("<main>");
    long pid = vitePid(apps.resolve("react-app"));

    Sandbox sandbox = builder.sandbox("react-app");
    String source = new String(sandbox.read("src/App.jsx").bytes(), StandardCharsets.UTF_8);
    sandbox.write("src/App.jsx", source.replace("Hello from your new React app", "Welcome to the React shop").getBytes(StandardCharsets.UTF_8));
    eventuallyServes(url + "src/App.jsx", "Welcome to the React shop");
    assertThat(vitePid(apps.resolve("react-app"))).isEqualTo(pid);
  }

  @Test
  void installsReachOnlyWhatThePolicyAllows() throws Exception {
    // the default policy: the npm registry through the sandbox's egress proxy (the other tests install that way)
    ViteDraftRuntime online = closing(sharedRuntime().build());
    assertThat(online.start("vanilla", statuses::add).state()).isEqualTo(DraftState.RUNNING);
    online.close();

    // a sandbox without any network: npm cannot reach the registry, the draft fails with npm's error
    // (npm's retries are turned off only so the failure comes at once)
    LocalSandboxProvider offlineSandboxes = closing(LocalSandboxProvider.create(apps,
        b -> SandboxSetup.configure(b, java.util.Map.of("npm_config_fetch_retries", "0"))
            .policy(CommandPolicy.builder().denyAllHosts().passEnvironment("npm_config_fetch_retries").build())));
    ViteDraftRuntime offline = closing(ViteDraftRuntime.builder(offlineSandboxes).installTimeout(Duration.ofMinutes(2)).build());
    writeTemplate(apps.resolve("offline"), ViteTemplates.vanilla());
    DraftStatus status = offline.start("offline", statuses::add);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.FAILED);
    assertThat(status.error().orElseThrow()).startsWith("installing dependencies failed");
    assertThat(apps.resolve("offline/node_modules/vite/package.json")).doesNotExist();
  }

  @Test
  void withoutDiagnosticsThePreviewKeepsItsPolicyAndLosesOnlyTheDiagnosticsPlugin() {
    ViteDraftRuntime quiet = closing(sharedRuntime().previewDiagnostics(false).build());
    DraftStatus status = quiet.start("vanilla", statuses::add);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    String url = status.previewUrl().orElseThrow();
    ViteTestSupport.Response page = get(url);
    assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(io.chatbuilder.core.runtime.AppPagePolicy.preview());
    assertThat(page.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(get(url + "src/main.js").headers().firstValue("Content-Security-Policy"))
        .hasValue(io.chatbuilder.core.runtime.AppPagePolicy.preview());
    assertThat(page.body()).doesNotContain("__chatbuilder/diagnostics").contains("data-cb-source=");
    assertThat(quiet.diagnostics("vanilla")).isEmpty();
    quiet.close();
    // The same app with diagnostics: the plugin's client is in the page.
    ViteDraftRuntime reporting = closing(sharedRuntime().build());
    String reportingUrl = reporting.start("vanilla", statuses::add).previewUrl().orElseThrow();
    assertThat(get(reportingUrl).body()).contains("__chatbuilder/diagnostics");
  }

  @Test
  void crashedServerIsRestartedThenGivenUpAfterTheLimit() {
    ViteDraftRuntime drafts = closing(sharedRuntime().maxRestarts(1).build());
    DraftStatus first = drafts.start("vanilla", statuses::add);
    assertThat(first.state()).isEqualTo(DraftState.RUNNING);
    Path root = shared.resolve("vanilla");
    long pid = vitePid(root);

    // the dev server dies (killed from outside, as the OOM killer would)
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    // Waits for the runtime to report the restart: under load the old server's process tree can
    // still hold a vite process (other than the one killed) before the crash is noticed.
    eventually("restart after a crash", () -> drafts.status("vanilla").state() == DraftState.RUNNING
        && drafts.status("vanilla").restarts() >= 1
        && ViteTestSupport.viteProcess(root).map(p -> p.pid() != pid).orElse(false));
    DraftStatus restarted = drafts.status("vanilla");
    assertThat(restarted.restarts()).isEqualTo(1);
    assertThat(get(restarted.previewUrl().orElseThrow()).status()).isEqualTo(200);
    assertThat(statuses).anyMatch(s -> s.contains("restarting (1 of 1)"));

    long pid2 = vitePid(root);
    ProcessHandle.of(pid2).orElseThrow().destroyForcibly();
    eventually("giving up", () -> drafts.status("vanilla").state() == DraftState.FAILED);
    DraftStatus failed = drafts.status("vanilla");
    assertThat(failed.error().orElseThrow()).contains("after 1 restarts");
    assertThat(failed.previewUrl()).isEmpty();
    eventually("no process left in the app", () -> ViteTestSupport.processesIn(root).isEmpty());

    // an explicit start begins again with a fresh restart budget
    DraftStatus again = drafts.start("vanilla", statuses::add);
    assertThat(again.state()).isEqualTo(DraftState.RUNNING);
    assertThat(again.restarts()).isZero();
    assertThat(again.error()).isEmpty();
  }

  @Test
  void idleServerIsStoppedWhileUsedOneKeepsRunning() {
    MutableClock clock = new MutableClock();
    ViteDraftRuntime drafts = closing(sharedRuntime().clock(clock).idleTimeout(Duration.ofMinutes(1)).build());
    String url = drafts.start("vanilla", statuses::add).previewUrl().orElseThrow();
    long pid = vitePid(shared.resolve("vanilla"));

    clock.advance(Duration.ofSeconds(50));
    assertThat(drafts.status("vanilla").state()).isEqualTo(DraftState.RUNNING); // counts as use
    clock.advance(Duration.ofSeconds(50));
    assertThat(drafts.stopIdle()).isEmpty();
    clock.advance(Duration.ofSeconds(11));
    // the periodic sweep may get there first; either way this server is the one stopped
    assertThat(drafts.stopIdle()).isSubsetOf("vanilla");

    DraftStatus stopped = drafts.status("vanilla");
    assertThat(stopped.state()).isEqualTo(DraftState.STOPPED);
    assertThat(stopped.previewUrl()).isEmpty();
    assertThat(stopped.logTail()).anyMatch(l -> l.contains("without use"));
    assertThat(ProcessHandle.of(pid).map(ViteTestSupport::running).orElse(false)).isFalse();
    assertThat(answers(url)).isFalse();
  }

  @Test
  void stopKillsTheWholeProcessTree() {
    ViteDraftRuntime drafts = closing(sharedRuntime().build());
    String url = drafts.start("vanilla", statuses::add).previewUrl().orElseThrow();
    List<ProcessHandle> tree = ViteTestSupport.processesIn(shared.resolve("vanilla"));
    assertThat(tree).as("vite runs an esbuild service").hasSizeGreaterThan(1);

    drafts.stop("vanilla");
    assertThat(tree).noneMatch(ViteTestSupport::running);
    assertThat(drafts.status("vanilla").state()).isEqualTo(DraftState.STOPPED);
    assertThat(answers(url)).isFalse();
    drafts.stop("vanilla"); // again: no effect
    drafts.stop("never-started");
  }

  @Test
  void changedDependenciesAreReinstalledBeforeTheNextPreview() throws Exception {
    ViteDraftRuntime drafts = closing(runtime().build());
    Path dir = writeTemplate(apps.resolve("deps"), ViteTemplates.vanilla());
    drafts.start("deps", statuses::add);
    long pid = vitePid(dir);

    // the agent adds a dependency to package.json without updating the lockfile
    ObjectMapper json = new ObjectMapper();
    var pkg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dir.resolve("package.json").toFile());
    pkg.putObject("dependencies").put("js-tokens", "4.0.0"); // not in the vanilla lockfile
    Files.writeString(dir.resolve("package.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(pkg));
    statuses.clear();

    DraftStatus status = drafts.start("deps", statuses::add);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    assertThat(statuses).anyMatch(s -> s.contains("reinstalling"));
    assertThat(statuses).anyMatch(s -> s.contains("npm install"));
    assertThat(vitePid(dir)).isNotEqualTo(pid);
    var lock = json.readTree(dir.resolve("package-lock.json").toFile());
    assertThat(lock.path("packages").path("").path("dependencies").path("js-tokens").asText()).isEqualTo("4.0.0");
    assertThat(dir.resolve("node_modules/js-tokens/package.json")).exists();
    assertThat(drafts.isInstalled("deps", sandboxes.open("deps"))).isTrue();
    assertThat(dir.resolve("node_modules/.chatbuilder-install")).as("no marker in the app").doesNotExist();
    assertThat(get(status.previewUrl().orElseThrow()).status()).isEqualTo(200);
  }

  @Test
  void brokenAppsFailWithTheToolsErrorInsteadOfThrowing() throws Exception {
    ViteDraftRuntime drafts = closing(runtime().build());

    Path badJson = apps.resolve("bad-json");
    Files.createDirectories(badJson);
    Files.writeString(badJson.resolve("package.json"), "{ \"name\": ");
    Files.writeString(badJson.resolve("package-lock.json"), "{}");
    DraftStatus npmFailed = drafts.start("bad-json", statuses::add);
    assertThat(npmFailed.state()).isEqualTo(DraftState.FAILED);
    assertThat(npmFailed.error().orElseThrow()).contains("installing dependencies failed").containsIgnoringCase("json");
    assertThat(npmFailed.logTail()).isNotEmpty();
    assertThat(npmFailed.previewUrl()).isEmpty();

    Path badConfig = writeTemplate(apps.resolve("bad-config"), ViteTemplates.vanilla());
    Files.writeString(badConfig.resolve("vite.config.js"), "throw new Error('broken config for the test')\n");
    DraftStatus viteFailed = drafts.start("bad-config", statuses::add);
    assertThat(viteFailed.state()).isEqualTo(DraftState.FAILED);
    assertThat(viteFailed.error().orElseThrow()).contains("exited with code").contains("broken config for the test");
    assertThat(ViteTestSupport.processesIn(badConfig)).isEmpty();
    assertThat(statuses).anyMatch(s -> s.startsWith("draft failed: "));

    // fixed: the next start works (dependencies were installed by the failed attempt)
    Files.write(badConfig.resolve("vite.config.js"), ViteTemplates.vanilla().files().get("vite.config.js"));
    statuses.clear();
    assertThat(drafts.start("bad-config", statuses::add).state()).isEqualTo(DraftState.RUNNING);
    assertThat(statuses).noneMatch(s -> s.contains("installing"));
  }

  @Test
  void badRequestsGetClearErrors() {
    ViteDraftRuntime drafts = runtime().build();
    for (String id : new String[] {"../etc", "a/b", "", ".hidden", "x".repeat(io.chatbuilder.core.AppId.MAX_LENGTH + 1), "nul\0"}) {
      assertThatThrownBy(() -> drafts.start(id, statuses::add)).as(id).isInstanceOf(InvalidArgumentException.class);
      assertThatThrownBy(() -> drafts.status(id)).as(id).isInstanceOf(InvalidArgumentException.class);
    }
    assertThatThrownBy(() -> drafts.start("missing", statuses::add))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("no package.json");
    assertThat(apps.resolve("empty").toFile().mkdir()).isTrue();
    assertThatThrownBy(() -> drafts.start("empty", statuses::add))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("package.json");
    DraftStatus unknown = drafts.status("never-started");
    assertThat(unknown.state()).isEqualTo(DraftState.STOPPED);
    assertThat(unknown.previewUrl()).isEmpty();
    assertThatThrownBy(() -> drafts.start("x", null)).isInstanceOf(NullPointerException.class);
    drafts.close();
    assertThatThrownBy(() -> drafts.start("missing", statuses::add)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> ViteDraftRuntime.builder(sandboxes).idleTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ViteDraftRuntime.builder(sandboxes).environment("A=B", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ViteDraftRuntime.builder(sandboxes).allowInstallScripts("--global"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ViteDraftRuntime.builder(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void closeStopsEveryServer() {
    ViteDraftRuntime drafts = sharedRuntime().build();
    String url = drafts.start("vanilla", statuses::add).previewUrl().orElseThrow();
    long pid = vitePid(shared.resolve("vanilla"));
    drafts.close();
    assertThat(ProcessHandle.of(pid).map(ViteTestSupport::running).orElse(false)).isFalse();
    assertThat(answers(url)).isFalse();
    assertThat(drafts.status("vanilla").state()).isEqualTo(DraftState.STOPPED);
  }

  /** A clock tests move by hand, so idleness needs no sleeping. */
  static final class MutableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
