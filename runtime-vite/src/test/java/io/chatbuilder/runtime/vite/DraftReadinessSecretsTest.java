package io.chatbuilder.runtime.vite;

import static io.chatbuilder.runtime.vite.ViteTestSupport.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.secrets.InMemoryAppSecrets;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17 with real Vite in bubblewrap: readiness is a success from the configured preview path,
 * host secrets reach {@code import.meta.env} without reaching a checkpoint, an event or the model,
 * and the draft's log and errors show app-relative paths.
 */
class DraftReadinessSecretsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonCodec CODEC = new JsonCodec();
  @TempDir Path apps;
  @TempDir Path publishes;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
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

  private <T extends AutoCloseable> T closing(T c) {
    closeAfter.add(c);
    return c;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aNotFoundRootIsNotReadyAndAConfiguredPreviewPathIs() throws Exception {
    sandboxes = closing(ViteTestSupport.sandboxes(apps));
    Path app = ViteTestSupport.writeTemplate(apps.resolve("paged"), ViteTemplates.vanilla());
    Files.move(app.resolve("index.html"), app.resolve("page.html"));

    ViteDraftRuntime plain = closing(ViteDraftRuntime.builder(sandboxes).startTimeout(Duration.ofSeconds(20)).build());
    DraftStatus failed = plain.start("paged", StatusListener.NONE);
    assertThat(failed.state()).as(failed.logTail().toString()).isEqualTo(DraftState.FAILED);
    assertThat(failed.error().orElseThrow()).startsWith("the Vite dev server answered HTTP 404 for / (not a success) for 20 s");
    assertThat(ViteTestSupport.viteProcess(app)).as("the server that never got ready is killed").isEmpty();
    plain.close();

    ViteDraftRuntime paged = closing(ViteDraftRuntime.builder(sandboxes).previewPath("/page.html").build());
    DraftStatus running = paged.start("paged", StatusListener.NONE);
    assertThat(running.state()).as(running.error().toString()).isEqualTo(DraftState.RUNNING);
    String url = running.previewUrl().orElseThrow();
    assertThat(url).endsWith("/page.html");
    assertThat(get(url).status()).isEqualTo(200);
  }

  @Test
  void previewPathsThatAreNotPlainPathsAreRefused() {
    sandboxes = closing(ViteTestSupport.sandboxes(apps));
    ViteDraftRuntime.Builder b = ViteDraftRuntime.builder(sandboxes);
    for (String bad : List.of("", "page.html", "//evil.example/", "/a/../b", "/..", "/a/./b", "/a#frag", "/a b", "/a\nb",
        "/%2e%2e/x", "/a%2fb", "/%zz", "/a\\b", "/\u202Eb", "http://x/")) {
      assertThatThrownBy(() -> b.previewPath(bad)).as(bad).isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("invalid preview path");
    }
    for (String good : List.of("/", "/app/", "/page.html", "/app/?lang=en", "/%C3%A9t%C3%A9/")) {
      b.previewPath(good);
    }
  }

  @Test
  void hostSecretsReachImportMetaEnvButNoCheckpointEventOrModelRequest() throws Exception {
    String exposed = "pk-live-7f3a9c1e5b";
    String hidden = "sk-server-only-42d8e6";
    String main = "document.querySelector('#app').textContent = 'key ' + import.meta.env.VITE_PUBLIC_KEY"
        + " + ' ' + String(import.meta.env.SERVER_TOKEN)\n";
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", JSON.createObjectNode().put("path", "src/main.js").put("content", main).toString()))
        .turn(t -> t.toolCall("read_file", JSON.createObjectNode().put("path", "src/main.js").toString()))
        .turn(t -> t.text("Shows the key."))
        .build();
    InMemoryAppSecrets secrets = new InMemoryAppSecrets();
    sandboxes = closing(ViteTestSupport.sandboxes(apps));
    ViteDraftRuntime drafts = ViteDraftRuntime.builder(sandboxes).secrets(secrets).build();
    ChatBuilder builder = closing(ChatBuilder.builder().model(model).sandboxes(sandboxes).draftRuntime(drafts)
        .publisher(VitePublisher.builder(publishes, ViteTestSupport.buildSandboxes()).secrets(secrets).build())
        .template(ViteTemplates.vanilla()).build());
    builder.createApp("keyed", ViteTemplates.VANILLA);
    secrets.put("keyed", "VITE_PUBLIC_KEY", exposed);
    secrets.put("keyed", "SERVER_TOKEN", hidden);
    assertThat(secrets.names("keyed")).containsExactly("SERVER_TOKEN", "VITE_PUBLIC_KEY");
    assertThat(secrets.toString()).doesNotContain(exposed).doesNotContain(hidden);

    RunResult run = builder.chat("keyed", "show the public key").completion().get(120, TimeUnit.SECONDS);
    DraftStatus draft = builder.startDraft("keyed", StatusListener.NONE);
    assertThat(draft.state()).as(draft.error().toString()).isEqualTo(DraftState.RUNNING);
    // what Vite serves the page: import.meta.env with the VITE_ secret, without the other one
    ViteTestSupport.Response module = get(draft.previewUrl().orElseThrow() + "src/main.js");
    assertThat(module.status()).isEqualTo(200);
    assertThat(module.body()).contains(exposed).doesNotContain(hidden);
    assertThat(String.join("\n", draft.logTail())).doesNotContain(exposed).doesNotContain(hidden);

    // a changed secret restarts the running server at the next start
    secrets.put("keyed", "VITE_PUBLIC_KEY", exposed + "-rotated");
    DraftStatus rotated = builder.startDraft("keyed", StatusListener.NONE);
    assertThat(rotated.state()).isEqualTo(DraftState.RUNNING);
    assertThat(get(rotated.previewUrl().orElseThrow() + "src/main.js").body()).contains(exposed + "-rotated");

    // the publish build gets it too (Vite inlines it into dist/, as Vite itself does)
    PublishResult published = builder.publish("keyed", run.checkpoint().orElseThrow().id(), StatusListener.NONE);
    assertThat(published.success()).as(published.buildLog()).isTrue();
    assertThat(DraftPublishCorrectnessTest.readAll(Path.of(published.outputLocation().orElseThrow()), ".js"))
        .contains(exposed + "-rotated").doesNotContain(hidden);
    assertThat(published.buildLog()).doesNotContain(exposed).doesNotContain(hidden);
    assertThat(Files.readString(Path.of(published.outputLocation().orElseThrow()).resolveSibling(VitePublisher.RECORD)))
        .doesNotContain(exposed).doesNotContain(hidden);

    // nowhere else: no checkpoint, no app file, no event of the run or the app, no model request
    for (Checkpoint c : builder.checkpoints("keyed", 100)) {
      for (String path : builder.files("keyed", c.id()).keySet()) {
        String content = new String(builder.readFile("keyed", c.id(), path).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(content).as(c.id() + ":" + path).doesNotContain(exposed).doesNotContain(hidden);
      }
    }
    try (Stream<Path> files = Files.walk(apps.resolve("keyed"))) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.toString().contains("node_modules")).toList()) {
        assertThat(Files.readString(f, StandardCharsets.ISO_8859_1)).as(f.toString()).doesNotContain(exposed).doesNotContain(hidden);
      }
    }
    List<Event> events = builder.events("keyed", run.runId(), 0);
    assertThat(events).isNotEmpty();
    for (Event e : events) {
      assertThat(CODEC.toJson(e)).doesNotContain(exposed).doesNotContain(hidden);
    }
    List<AppEvent> appEvents = builder.appEvents("keyed", 0);
    assertThat(appEvents).isNotEmpty();
    for (AppEvent e : appEvents) {
      assertThat(CODEC.toJson(e)).doesNotContain(exposed).doesNotContain(hidden);
    }
    assertThat(model.requests()).hasSize(3);
    for (ModelRequest r : model.requests()) {
      assertThat(r.toString()).doesNotContain(exposed).doesNotContain(hidden);
    }
  }

  @Test
  void theDraftLogAndErrorsShowAppRelativePaths() throws Exception {
    sandboxes = closing(ViteTestSupport.sandboxes(apps));
    Path app = ViteTestSupport.writeTemplate(apps.resolve("badconfig"), ViteTemplates.vanilla());
    Files.writeString(app.resolve("vite.config.js"), "throw new Error('config exploded')\n");
    ViteDraftRuntime drafts = closing(ViteDraftRuntime.builder(sandboxes).maxRestarts(0).build());
    DraftStatus failed = drafts.start("badconfig", StatusListener.NONE);
    assertThat(failed.state()).isEqualTo(DraftState.FAILED);
    String log = String.join("\n", failed.logTail());
    assertThat(log).contains("config exploded").contains("vite.config.js");
    String real = app.toRealPath().toString();
    assertThat(log).doesNotContain(real).doesNotContain(apps.toString());
    assertThat(failed.error().orElseThrow()).contains("config exploded").doesNotContain(real).doesNotContain(apps.toString());
  }
}
