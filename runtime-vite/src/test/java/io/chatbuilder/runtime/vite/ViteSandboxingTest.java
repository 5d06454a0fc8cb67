package io.chatbuilder.runtime.vite;

import static io.chatbuilder.runtime.vite.ViteTestSupport.eventually;
import static io.chatbuilder.runtime.vite.ViteTestSupport.eventuallyServes;
import static io.chatbuilder.runtime.vite.ViteTestSupport.get;
import static io.chatbuilder.runtime.vite.ViteTestSupport.writeTemplate;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile app code in draft and publish mode, with real npm, Vite and bubblewrap: a
 * {@code vite.config.js}, npm lifecycle scripts and a planted {@code node_modules/vite/bin/vite.js}
 * each try to read secrets of the host (a file in the JVM's home, one in {@code /tmp}, the JVM's
 * environment, another app's files), to write outside the app, and to reach a service on the
 * host's loopback. Each attempt is reported by the code itself into a file of the app, and checked
 * from the host too. The preview and publish keep working.
 */
class ViteSandboxingTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SECRET_VARIABLE = "CHATBUILDER_TEST_HOST_SECRET";

  @TempDir Path apps;
  @TempDir Path publishes;
  private final String secret = "host-secret-" + UUID.randomUUID();
  private final List<AutoCloseable> closeAfter = new CopyOnWriteArrayList<>();
  private final List<String> statuses = new CopyOnWriteArrayList<>();
  private final List<Path> plantedOnHost = new ArrayList<>();
  private Path homeSecret;
  private Path tmpSecret;
  private Path otherAppSecret;
  private List<Path> escapeTargets;
  private ServerSocket hostService;
  private final AtomicInteger hostServiceConnections = new AtomicInteger();
  private LocalSandboxProvider sandboxes;

  @BeforeAll
  static void bubblewrap(@TempDir Path scratch) {
    SandboxSetup.requireBubblewrap(scratch);
  }

  @BeforeEach
  void plantSecrets() throws IOException {
    String id = UUID.randomUUID().toString();
    homeSecret = plant(Path.of(System.getProperty("user.home"), ".chatbuilder-test-secret-" + id), secret);
    tmpSecret = plant(Path.of("/tmp", "chatbuilder-test-secret-" + id), secret);
    otherAppSecret = Files.createDirectories(apps.resolve("other-app")).resolve("secret.txt");
    Files.writeString(otherAppSecret, secret);
    escapeTargets = List.of(
        Path.of(System.getProperty("user.home"), ".chatbuilder-test-escaped-" + id),
        Path.of("/tmp", "chatbuilder-test-escaped-" + id),
        apps.resolve("other-app").resolve("escaped.txt"),
        apps.resolve("escaped-next-to-the-apps.txt"),
        publishes.resolve("escaped-next-to-the-builds.txt"));
    plantedOnHost.addAll(escapeTargets);
    hostService = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
    Thread accept = new Thread(() -> {
      while (!hostService.isClosed()) {
        try (Socket s = hostService.accept()) {
          hostServiceConnections.incrementAndGet();
        } catch (IOException e) {
          return;
        }
      }
    }, "host-loopback-service");
    accept.setDaemon(true);
    accept.start();
    sandboxes = closing(LocalSandboxProvider.create(apps, this::hostileHost));
  }

  /** The host's sandbox settings; the host's environment holds a secret. */
  private LocalSandbox.Builder hostileHost(LocalSandbox.Builder b) {
    return SandboxSetup.configure(b, Map.of(SECRET_VARIABLE, secret));
  }

  private Path plant(Path file, String content) throws IOException {
    Files.writeString(file, content);
    plantedOnHost.add(file);
    return file;
  }

  @AfterEach
  void cleanUp() throws Exception {
    java.util.Collections.reverse(closeAfter);
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    hostService.close();
    for (Path p : plantedOnHost) {
      Files.deleteIfExists(p);
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeAfter.add(c);
    return c;
  }

  // ------------------------------------------------------------------ draft

  @Test
  void hostileViteConfigIsContainedAndThePreviewStillWorks() throws Exception {
    Path app = writeTemplate(apps.resolve("config"), ViteTemplates.vanilla());
    Files.writeString(app.resolve("vite.config.js"), "import { defineConfig } from 'vite'\n"
        + "await " + probe("config-report.json") + "\n"
        + "export default defineConfig({})\n");
    ViteDraftRuntime drafts = closing(ViteDraftRuntime.builder(sandboxes).build());

    DraftStatus status = drafts.start("config", statuses::add);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    assertContained(report(app.resolve("config-report.json")));

    // the preview works, and an edit reaches it (HMR through the sandbox's file watcher)
    String url = status.previewUrl().orElseThrow();
    assertThat(get(url).status()).isEqualTo(200);
    Sandbox sandbox = sandboxes.open("config");
    sandbox.write("src/main.js", "document.querySelector('#app').textContent = 'edited inside'\n".getBytes(StandardCharsets.UTF_8));
    eventuallyServes(url + "src/main.js", "edited inside");
  }

  @Test
  void lifecycleScriptsDoNotRunAndAnAllowlistedOneRunsInsideTheSandbox() throws Exception {
    // without an allowlist: neither the app's own scripts nor its dependency's run
    Path plain = hookedApp("hooks");
    ViteDraftRuntime drafts = closing(ViteDraftRuntime.builder(sandboxes).build());
    DraftStatus status = drafts.start("hooks", statuses::add);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    assertThat(plain.resolve("node_modules/hooked/package.json")).as("the dependency is installed").exists();
    assertThat(plain.resolve("preinstall-ran")).doesNotExist();
    assertThat(plain.resolve("postinstall-ran")).doesNotExist();
    assertThat(plain.resolve("hooked-report.json")).doesNotExist();
    assertThat(get(status.previewUrl().orElseThrow()).status()).isEqualTo(200);

    // allowlisted: the dependency's postinstall runs, isolated; the app's own scripts still do not
    Path allowed = hookedApp("hooks-allowed");
    ViteDraftRuntime allowing = closing(ViteDraftRuntime.builder(sandboxes).allowInstallScripts("hooked").build());
    DraftStatus allowedStatus = allowing.start("hooks-allowed", statuses::add);
    assertThat(allowedStatus.state()).as(allowedStatus.toString()).isEqualTo(DraftState.RUNNING);
    assertThat(statuses).anyMatch(s -> s.contains("install scripts of hooked"));
    assertContained(report(allowed.resolve("hooked-report.json")));
    assertThat(allowed.resolve("preinstall-ran")).doesNotExist();
    assertThat(allowed.resolve("postinstall-ran")).doesNotExist();
  }

  /** An app whose package.json has install scripts and a local dependency with a postinstall probe. */
  private Path hookedApp(String id) throws IOException {
    Path app = writeTemplate(apps.resolve(id), ViteTemplates.vanilla());
    Files.delete(app.resolve("package-lock.json")); // npm install resolves the local dependency
    var pkg = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(app.resolve("package.json").toFile());
    pkg.putObject("dependencies").put("hooked", "file:./hooked");
    pkg.withObject("/scripts")
        .put("preinstall", "node -e \"require('fs').writeFileSync('preinstall-ran', 'x')\"")
        .put("postinstall", "node -e \"require('fs').writeFileSync('postinstall-ran', 'x')\"");
    Files.writeString(app.resolve("package.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(pkg));
    Path hooked = Files.createDirectories(app.resolve("hooked"));
    Files.writeString(hooked.resolve("package.json"),
        "{\"name\":\"hooked\",\"version\":\"1.0.0\",\"scripts\":{\"postinstall\":\"node probe.cjs\"}}\n");
    Files.writeString(hooked.resolve("probe.cjs"), probe("hooked-report.json").replace("'hooked-report.json'",
        "require('path').join(process.env.INIT_CWD, 'hooked-report.json')") + "\n");
    return app;
  }

  @Test
  void aPlantedViteWithAForgedMarkerRunsOnlyInsideTheSandboxOrIsReinstalled() throws Exception {
    Path app = writeTemplate(apps.resolve("planted"), ViteTemplates.vanilla());
    ViteDraftRuntime first = closing(ViteDraftRuntime.builder(sandboxes).build());
    assertThat(first.start("planted", statuses::add).state()).isEqualTo(DraftState.RUNNING);
    first.stop("planted");

    // an allowed command (node, inside the sandbox) replaces Vite and forges the old install marker
    Sandbox sandbox = sandboxes.open("planted");
    String planted = "await " + probe("planted-report.json") + "\n"
        + "const http = process.getBuiltinModule('http');\n"
        + "const port = Number(process.argv[process.argv.indexOf('--port') + 1]);\n"
        + "http.createServer((q, r) => r.end('PLANTED')).listen(port, '127.0.0.1');\n";
    // with preview diagnostics the runtime starts Vite through its API (node_modules/vite/dist/node/index.js)
    String plantedApi = "await " + probe("planted-report.json") + "\n"
        + "const http = process.getBuiltinModule('http');\n"
        + "export const version = 'planted';\n"
        + "export async function createServer(inline) {\n"
        + "  return { config: { logger: { info() {} } }, printUrls() {},\n"
        + "    listen: async () => http.createServer((q, r) => r.end('PLANTED')).listen(inline.server.port, '127.0.0.1') };\n"
        + "}\n";
    sandbox.write("plant.cjs", ("const fs = require('fs');\n"
        + "fs.writeFileSync('node_modules/vite/bin/vite.js', " + JSON.writeValueAsString(planted) + ");\n"
        + "fs.writeFileSync('node_modules/vite/dist/node/index.js', " + JSON.writeValueAsString(plantedApi) + ");\n"
        + "fs.writeFileSync('node_modules/.chatbuilder-install', " + JSON.writeValueAsString(Npm.dependencyHash(sandbox)) + ");\n")
        .getBytes(StandardCharsets.UTF_8));
    CommandResult plant = sandbox.run(new CommandRequest(List.of("node", "plant.cjs"), "", Map.of(), Optional.empty()),
        CommandListener.NONE, new Cancellation());
    assertThat(plant.exitCode()).as(plant.stderr()).isZero();

    // the runtime that installed it runs what node_modules holds now: only inside the sandbox
    DraftStatus again = first.start("planted", statuses::add);
    assertThat(again.state()).as(again.toString()).isEqualTo(DraftState.RUNNING);
    assertThat(get(again.previewUrl().orElseThrow()).body()).isEqualTo("PLANTED");
    assertContained(report(app.resolve("planted-report.json")));
    first.close();
    Files.delete(app.resolve("planted-report.json"));

    // a runtime without its own record (a restarted host) ignores the forged marker and reinstalls
    statuses.clear();
    ViteDraftRuntime restarted = closing(ViteDraftRuntime.builder(sandboxes).build());
    DraftStatus fresh = restarted.start("planted", statuses::add);
    assertThat(fresh.state()).as(fresh.toString()).isEqualTo(DraftState.RUNNING);
    assertThat(statuses).anyMatch(s -> s.contains("installing dependencies"));
    assertThat(get(fresh.previewUrl().orElseThrow()).body()).contains("/@vite/client").doesNotContain("PLANTED");
    assertThat(app.resolve("planted-report.json")).doesNotExist();
    assertThat(app.resolve("node_modules/.chatbuilder-install")).as("npm ci replaced node_modules").doesNotExist();
  }

  @Test
  void aDeletedNodeModulesIsReinstalledOnce() throws Exception {
    Path app = writeTemplate(apps.resolve("wiped"), ViteTemplates.vanilla());
    ViteDraftRuntime drafts = closing(ViteDraftRuntime.builder(sandboxes).build());
    assertThat(drafts.start("wiped", statuses::add).state()).isEqualTo(DraftState.RUNNING);
    drafts.stop("wiped");
    VitePublisher.deleteTree(app.resolve("node_modules"));

    statuses.clear();
    DraftStatus status = drafts.start("wiped", statuses::add);
    assertThat(status.state()).as(status.toString()).isEqualTo(DraftState.RUNNING);
    assertThat(statuses).anyMatch(s -> s.contains("missing a module: reinstalling dependencies once"));
    assertThat(get(status.previewUrl().orElseThrow()).status()).isEqualTo(200);
  }

  @Test
  void anEndlessLoopInViteConfigTimesOutAndItsTreeIsKilled() throws Exception {
    Path app = writeTemplate(apps.resolve("loop"), ViteTemplates.vanilla());
    Files.writeString(app.resolve("vite.config.js"), "while (true) {}\nexport default {}\n");
    ViteDraftRuntime drafts = closing(ViteDraftRuntime.builder(sandboxes).startTimeout(Duration.ofSeconds(5)).build());

    DraftStatus status = drafts.start("loop", statuses::add);
    assertThat(status.state()).isEqualTo(DraftState.FAILED);
    assertThat(status.error().orElseThrow()).contains("did not answer within 5 s");
    eventually("no process left in the app", () -> ViteTestSupport.processesIn(app).isEmpty());

    // the host is fine: the next app of the same runtime starts and serves
    writeTemplate(apps.resolve("after-loop"), ViteTemplates.vanilla());
    DraftStatus next = drafts.start("after-loop", statuses::add);
    assertThat(next.state()).as(next.toString()).isEqualTo(DraftState.RUNNING);
  }

  // ------------------------------------------------------------------ publish

  @Test
  void hostileBuildConfigIsContainedAndAPlantedSymlinkInDistIsRefused() throws Exception {
    ChatBuilder builder = closing(ChatBuilder.builder().model(ScriptedModel.builder().build()).sandboxes(sandboxes)
        .template(ViteTemplates.vanilla())
        .publisher(VitePublisher.builder(publishes, (appId, dir) -> hostileHost(LocalSandbox.builder(dir).id(appId + "-publish")).build())
            .build())
        .build());
    Checkpoint probing = appWithConfig(builder, "site", "import { defineConfig } from 'vite'\n"
        + "export default defineConfig({ plugins: [{ name: 'probe', async closeBundle() { await "
        + probe("dist/build-report.json") + " } }] })\n");

    PublishResult published = builder.publish("site", probing.id(), statuses::add);
    assertThat(published.success()).as(published.buildLog()).isTrue();
    assertThat(published.manifest()).as(published.buildLog()).containsKey("build-report.json");
    assertContained(report(Path.of(published.outputLocation().orElseThrow()).resolve("build-report.json")));
    PublishResult twice = builder.publish("site", probing.id(), statuses::add);
    assertThat(twice.manifest().keySet()).isEqualTo(published.manifest().keySet());

    Checkpoint linking = appWithConfig(builder, "linked", "import { defineConfig } from 'vite'\nimport fs from 'node:fs'\n"
        + "export default defineConfig({ plugins: [{ name: 'link', closeBundle() { fs.symlinkSync("
        + JSON.writeValueAsString(homeSecret.toString()) + ", 'dist/secret.txt') } }] })\n");
    PublishResult refused = builder.publish("linked", linking.id(), statuses::add);
    assertThat(refused.success()).isFalse();
    assertThat(refused.error().orElseThrow()).contains("symbolic link");
    assertThat(refused.outputLocation()).isEmpty();
    assertThat(publishes.resolve("linked").resolve(refused.publishId()).resolve("dist")).doesNotExist();
  }

  /** The vanilla template with {@code viteConfig}, recorded as the app's initial checkpoint. */
  private static Checkpoint appWithConfig(ChatBuilder builder, String appId, String viteConfig) {
    Sandbox sandbox = builder.sandbox(appId);
    ViteTemplates.vanilla().files().forEach(sandbox::write);
    sandbox.write("vite.config.js", viteConfig.getBytes(StandardCharsets.UTF_8));
    return builder.initialize(appId);
  }

  // ------------------------------------------------------------------ helpers

  /**
   * JavaScript (an async IIFE expression, for ESM and CommonJS alike) that tries every escape and
   * writes what happened to {@code reportPath} inside the app.
   */
  private String probe(String reportPath) throws IOException {
    List<String> reads = List.of(homeSecret.toString(), tmpSecret.toString(), otherAppSecret.toString());
    List<String> writes = escapeTargets.stream().map(Path::toString).toList();
    return "(async () => {\n"
        + "  const fs = process.getBuiltinModule('fs'), net = process.getBuiltinModule('net');\n"
        + "  const r = { reads: {}, writes: {}, env: { ...process.env }, home: process.env.HOME };\n"
        + "  for (const p of " + JSON.writeValueAsString(reads) + ") {\n"
        + "    try { r.reads[p] = fs.readFileSync(p, 'utf8') } catch (e) { r.reads[p] = 'blocked ' + e.code }\n"
        + "  }\n"
        + "  for (const p of " + JSON.writeValueAsString(writes) + ") {\n"
        + "    try { fs.writeFileSync(p, 'escaped'); r.writes[p] = 'written' } catch (e) { r.writes[p] = 'blocked ' + e.code }\n"
        + "  }\n"
        + "  r.loopback = await new Promise(done => {\n"
        + "    const s = net.connect(" + hostService.getLocalPort() + ", '127.0.0.1');\n"
        + "    const t = setTimeout(() => { s.destroy(); done('timeout') }, 3000);\n"
        + "    s.on('connect', () => { clearTimeout(t); s.destroy(); done('connected') });\n"
        + "    s.on('error', e => { clearTimeout(t); done('blocked ' + e.code) });\n"
        + "  });\n"
        + "  fs.writeFileSync('" + reportPath + "', JSON.stringify(r));\n"
        + "})()";
  }

  private static JsonNode report(Path file) throws IOException {
    eventually("the probe's report " + file, () -> Files.isRegularFile(file));
    eventually("the probe's report to be complete", () -> {
      try {
        JSON.readTree(file.toFile());
        return true;
      } catch (IOException e) {
        return false;
      }
    });
    return JSON.readTree(file.toFile());
  }

  /** What the probe reported, checked against the host's side as well. */
  private void assertContained(JsonNode report) {
    report.get("reads").fields().forEachRemaining(e ->
        assertThat(e.getValue().asText()).as("read " + e.getKey()).startsWith("blocked").doesNotContain(secret));
    // Inside, /tmp is a private tmpfs: a write under /tmp may land there. What counts is the host.
    for (Path target : escapeTargets) {
      assertThat(target).as("nothing written outside the app").doesNotExist();
    }
    assertThat(report.get("writes").get(escapeTargets.get(0).toString()).asText()).as("write into the JVM's home")
        .startsWith("blocked");
    assertThat(report.get("writes").size()).isEqualTo(escapeTargets.size());
    assertThat(report.get("loopback").asText()).as("the host's loopback service").isNotEqualTo("connected");
    assertThat(hostServiceConnections.get()).as("connections the host's service accepted").isZero();

    JsonNode env = report.get("env");
    assertThat(env.toString()).as("the app's environment").doesNotContain(secret);
    assertThat(env.has(SECRET_VARIABLE)).isFalse();
    assertThat(report.get("home").asText()).as("HOME inside").isNotEqualTo(System.getProperty("user.home"));
    CommandPolicy policy = CommandPolicy.defaults();
    System.getenv().forEach((name, value) -> {
      if (!policy.environmentAllowlist().contains(name) && env.has(name)) {
        assertThat(env.get(name).asText()).as("the JVM's " + name + " reached the app").isNotEqualTo(value);
      }
    });
  }
}
