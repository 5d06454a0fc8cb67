package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 with real npm, real {@code tsc} and real {@code vite build} in bubblewrap sandboxes: the
 * lockfile a dependency change needs is recorded in the checkpoint that made the change, a fresh
 * app without a lockfile publishes, and the app's build script (type checks included) decides
 * whether a publish succeeds.
 */
class DraftPublishCorrectnessTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path apps;
  @TempDir Path publishes;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private final List<String> statuses = new CopyOnWriteArrayList<>();
  private LocalSandboxProvider sandboxes;

  @BeforeAll
  static void bubblewrap(@TempDir Path scratch) {
    SandboxSetup.requireBubblewrap(scratch);
  }

  @AfterEach
  void closeAll() throws Exception {
    java.util.Collections.reverse(closeAfter);
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
  }

  private ChatBuilder facade(ScriptedModel model, AppTemplate... templates) {
    sandboxes = ViteTestSupport.sandboxes(apps);
    closeAfter.add(sandboxes);
    ViteDraftRuntime drafts = ViteDraftRuntime.builder(sandboxes).build();
    ChatBuilder.Builder b = ChatBuilder.builder().model(model).sandboxes(sandboxes).draftRuntime(drafts)
        .publisher(VitePublisher.builder(publishes, ViteTestSupport.buildSandboxes()).build())
        .template(ViteTemplates.vanilla());
    for (AppTemplate t : templates) {
      b.template(t);
    }
    ChatBuilder builder = b.build();
    closeAfter.add(builder);
    return builder;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(ChatBuilder builder, String appId, String checkpointId, String path) {
    return new String(builder.readFile(appId, checkpointId, path).orElseThrow(() -> new AssertionError(path + " not in " + checkpointId)),
        StandardCharsets.UTF_8);
  }

  /** A TypeScript app whose build script type-checks first, as create-vite's *-ts templates do. */
  private static AppTemplate typescriptTemplate(String main) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("package.json", utf8("""
        {
          "name": "ts-app",
          "private": true,
          "version": "0.0.0",
          "type": "module",
          "scripts": { "dev": "vite", "build": "tsc -b && vite build" },
          "devDependencies": { "typescript": "5.9.3", "vite": "7.3.8" },
          "overrides": { "rollup": "4.67.4" }
        }
        """));
    files.put("tsconfig.json", utf8("""
        { "compilerOptions": { "target": "ES2022", "module": "ESNext", "moduleResolution": "bundler",
          "strict": true, "noEmit": true, "skipLibCheck": true, "lib": ["ES2022", "DOM"] },
          "include": ["src"] }
        """));
    files.put("index.html", utf8("<!doctype html><html><body><div id=\"app\"></div><script type=\"module\" src=\"/src/main.ts\"></script></body></html>\n"));
    files.put("src/main.ts", utf8(main));
    return ViteTemplates.of("ts-app", "TypeScript app without a lockfile", files);
  }

  @Test
  void typeErrorFailsThePublishWithTheCompilerMessageAndTheFixPublishes() throws Exception {
    String fixed = "const greeting: string = 'typed hello'\ndocument.querySelector('#app')!.textContent = greeting\n";
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", JSON.createObjectNode().put("path", "src/main.ts").put("content", fixed).toString()))
        .turn(t -> t.text("Fixed."))
        .build();
    ChatBuilder builder = facade(model,
        typescriptTemplate("const count: number = 'not a number'\ndocument.body.textContent = String(count)\n"));
    Checkpoint initial = builder.createApp("typed", "ts-app");
    // the template had no lockfile: the app's first checkpoint records the one npm resolved
    assertThat(text(builder, "typed", initial.id(), "package-lock.json")).contains("\"node_modules/typescript\"");

    PublishResult failed = builder.publish("typed", initial.id(), statuses::add);
    assertThat(failed.success()).as(failed.buildLog()).isFalse();
    assertThat(failed.error().orElseThrow())
        .startsWith("the build script failed (exit code")
        .contains("src/main.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'.");
    assertThat(failed.buildLog()).contains("build script: tsc -b && vite build")
        .doesNotContain(publishes.toString()).doesNotContain(apps.toString());
    assertThat(failed.outputLocation()).isEmpty();

    RunResult run = builder.chat("typed", "fix the type error").completion().get(120, TimeUnit.SECONDS);
    PublishResult ok = builder.publish("typed", run.checkpoint().orElseThrow().id(), statuses::add);
    assertThat(ok.success()).as(ok.buildLog()).isTrue();
    assertThat(readAll(Path.of(ok.outputLocation().orElseThrow()), ".js")).contains("typed hello");
  }

  @Test
  void agentAddsADependencyItsCheckpointPublishesAndUndoRevertsDependencyAndLockfileTogether() throws Exception {
    String pkg = """
        {
          "name": "vite-vanilla-app",
          "private": true,
          "version": "0.0.0",
          "type": "module",
          "scripts": { "dev": "vite", "build": "vite build", "preview": "vite preview" },
          "dependencies": { "nanoid": "5.1.5" },
          "devDependencies": { "vite": "7.3.8" },
          "overrides": { "rollup": "4.67.4" }
        }
        """;
    String main = "import { nanoid } from 'nanoid'\ndocument.querySelector('#app').textContent = 'id ' + nanoid(8) + ' from nanoid'\n";
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", JSON.createObjectNode().put("path", "package.json").put("content", pkg).toString()))
        .turn(t -> t.toolCall("write_file", JSON.createObjectNode().put("path", "src/main.js").put("content", main).toString()))
        .turn(t -> t.text("Added nanoid."))
        .build();
    ChatBuilder builder = facade(model);
    Checkpoint initial = builder.createApp("dep", ViteTemplates.VANILLA);
    String initialLock = text(builder, "dep", initial.id(), "package-lock.json");
    String initialPkg = text(builder, "dep", initial.id(), "package.json");
    assertThat(initialLock).doesNotContain("\"nanoid\": \"5.1.5\"").doesNotContain("\"version\": \"5.1.5\"");

    RunResult run = builder.chat("dep", "add nanoid").completion().get(180, TimeUnit.SECONDS);
    Checkpoint added = run.checkpoint().orElseThrow();
    assertThat(added.type()).isEqualTo(CheckpointType.AGENT_RUN);
    String lock = text(builder, "dep", added.id(), "package-lock.json");
    assertThat(lock).contains("\"node_modules/nanoid\"").contains("\"nanoid\": \"5.1.5\"");
    assertThat(builder.events("dep", run.runId(), 0)).anyMatch(e -> e instanceof Event.Status s
        && s.message().contains("updating package-lock.json"));
    // nothing was left over for the next operation to record as an outside edit
    assertThat(Files.readString(apps.resolve("dep").resolve("package-lock.json"))).isEqualTo(lock);

    PublishResult published = builder.publish("dep", added.id(), statuses::add);
    assertThat(published.success()).as(published.buildLog()).isTrue();
    assertThat(published.buildLog()).contains("[chatbuilder] npm ci");
    assertThat(readAll(Path.of(published.outputLocation().orElseThrow()), ".js")).contains("from nanoid");

    Checkpoint undone = builder.undo("dep");
    assertThat(text(builder, "dep", undone.id(), "package.json")).isEqualTo(initialPkg);
    assertThat(text(builder, "dep", undone.id(), "package-lock.json")).isEqualTo(initialLock);
    assertThat(Files.readString(apps.resolve("dep").resolve("package.json"))).isEqualTo(initialPkg);
    assertThat(Files.readString(apps.resolve("dep").resolve("package-lock.json"))).isEqualTo(initialLock);
  }

  @Test
  void freshAppFromATemplateWithoutALockfilePublishesAndAnotherWithoutTheRuntimeToo() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>(ViteTemplates.vanilla().files());
    files.remove("package-lock.json");
    AppTemplate noLock = ViteTemplates.of("no-lock", "vanilla without a lockfile", files);
    ChatBuilder builder = facade(ScriptedModel.builder().build(), noLock);
    Checkpoint initial = builder.createApp("fresh", "no-lock");
    assertThat(builder.files("fresh", initial.id())).containsKey("package-lock.json");
    PublishResult r = builder.publish("fresh", initial.id(), statuses::add);
    assertThat(r.success()).as(r.buildLog()).isTrue();
    assertThat(r.buildLog()).contains("[chatbuilder] npm ci");

    // a checkpoint that has no lockfile at all (recorded without a draft runtime): the publish
    // resolves one in its build directory
    builder.sandbox("bare").apply(Map.of("package.json", java.util.Optional.of(files.get("package.json")),
        "index.html", java.util.Optional.of(files.get("index.html")),
        "src/main.js", java.util.Optional.of(utf8("document.body.textContent = 'bare app'\n"))));
    Checkpoint bare = builder.initialize("bare");
    assertThat(builder.files("bare", bare.id())).doesNotContainKey("package-lock.json");
    PublishResult b = builder.publish("bare", bare.id(), statuses::add);
    assertThat(b.success()).as(b.buildLog()).isTrue();
    assertThat(b.buildLog()).contains("[chatbuilder] npm install");
    assertThat(statuses).anyMatch(s -> s.contains("has no package-lock.json"));
    assertThat(readAll(Path.of(b.outputLocation().orElseThrow()), ".js")).contains("bare app");
  }

  @Test
  void envLocalLogsAndWhatElseTheGitignoreNamesAreNeverCheckpointedNorLost() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", JSON.createObjectNode().put("path", ".env.local").put("content", "VITE_KEY=from-agent").toString()))
        .turn(t -> t.toolCall("read_file", JSON.createObjectNode().put("path", ".env.local").toString()))
        .turn(t -> t.toolCall("write_file", JSON.createObjectNode().put("path", "src/main.js").put("content", "console.log(1)\n").toString()))
        .turn(t -> t.text("Done."))
        .build();
    ChatBuilder builder = facade(model);
    builder.createApp("ignored", ViteTemplates.VANILLA);
    Path app = apps.resolve("ignored");
    // a person (or a command) leaves what create-vite's .gitignore names
    Files.writeString(app.resolve(".env.local"), "VITE_KEY=person-secret\n");
    Files.createDirectories(app.resolve("logs"));
    Files.writeString(app.resolve("logs/server.txt"), "log\n");
    Files.writeString(app.resolve("npm-debug.log"), "debug\n");
    Files.createDirectories(app.resolve("dist-ssr"));
    Files.writeString(app.resolve("dist-ssr/entry.js"), "ssr\n");

    RunResult run = builder.chat("ignored", "try the env file").completion().get(60, TimeUnit.SECONDS);
    assertThat(run.checkpoint()).isPresent();
    List<Event> events = builder.events("ignored", run.runId(), 0);
    assertThat(events).anyMatch(e -> e instanceof Event.ToolFailed f && f.error().contains(".gitignore"));
    assertThat(events).noneMatch(e -> e.toString().contains("person-secret"));
    assertThat(model.requests()).noneMatch(r -> r.toString().contains("person-secret"));
    builder.undo("ignored");
    for (Checkpoint c : builder.checkpoints("ignored", 100)) {
      assertThat(builder.files("ignored", c.id()).keySet()).as(c.type() + " " + c.id())
          .contains(".gitignore", "package.json")
          .noneMatch(p -> p.equals(".env.local") || p.startsWith("logs/") || p.startsWith("dist-ssr/") || p.endsWith(".log"));
    }
    // never lost either: history operations leave the ignored files alone
    assertThat(Files.readString(app.resolve(".env.local"))).isEqualTo("VITE_KEY=person-secret\n");
    assertThat(app.resolve("logs/server.txt")).exists();
  }

  static String readAll(Path dir, String suffix) throws Exception {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(f -> f.toString().endsWith(suffix)).toList()) {
        all.append(Files.readString(p));
      }
    }
    return all.toString();
  }
}
