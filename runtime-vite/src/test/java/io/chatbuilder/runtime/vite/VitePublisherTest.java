package io.chatbuilder.runtime.vite;

import static io.chatbuilder.runtime.vite.ViteTestSupport.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.checkpoint.ForwardingCheckpointStore;
import io.chatbuilder.core.checkpoint.Revision;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real npm and real {@code vite build} on checkpoints' files, inside bubblewrap sandboxes. */
class VitePublisherTest {
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

  private VitePublisher publisher() {
    return VitePublisher.builder(publishes, ViteTestSupport.buildSandboxes()).build();
  }

  private ChatBuilder.Builder facade(ScriptedModel model) {
    sandboxes = ViteTestSupport.sandboxes(apps);
    closeAfter.add(sandboxes);
    return ChatBuilder.builder().model(model).sandboxes(sandboxes)
        .template(ViteTemplates.vanilla()).template(ViteTemplates.react());
  }

  private <T extends AutoCloseable> T closing(T c) {
    closeAfter.add(c);
    return c;
  }

  @Test
  void sameCheckpointTwiceGivesByteIdenticalDistBuiltFromTheCheckpointNotTheDraft() throws Exception {
    ChatBuilder builder = closing(facade(ScriptedModel.builder().build()).publisher(publisher()).build());
    Checkpoint initial = builder.createApp("site", ViteTemplates.VANILLA);
    // an edit in the draft's working files that no checkpoint holds: never published
    builder.sandbox("site").write("src/main.js", "document.body.textContent = 'DRAFT ONLY'\n".getBytes(StandardCharsets.UTF_8));

    PublishResult one = builder.publish("site", initial.id(), statuses::add);
    PublishResult two = builder.publish("site", initial.id(), StatusListener.NONE);

    for (PublishResult r : List.of(one, two)) {
      assertThat(r.success()).as(r.buildLog()).isTrue();
      assertThat(r.error()).isEmpty();
      assertThat(r.appId()).isEqualTo("site");
      assertThat(r.checkpointId()).isEqualTo(initial.id());
      assertThat(r.revisionId()).isEqualTo(initial.resultRevisionId());
      assertThat(r.manifest()).containsKey("index.html");
      assertThat(r.manifest().keySet()).anyMatch(p -> p.matches("assets/index-[A-Za-z0-9_-]+\\.js"));
      Path dist = Path.of(r.outputLocation().orElseThrow());
      assertThat(independentManifest(dist)).isEqualTo(r.manifest());
      assertThat(Files.exists(dist.resolveSibling("work"))).as("build directory removed").isFalse();
      String js = readAll(dist, ".js");
      assertThat(js).contains("Hello from your new app").doesNotContain("DRAFT ONLY");
      assertThat(r.buildLog()).contains("[chatbuilder] npm ci").contains("[chatbuilder] vite build")
          .contains("SOURCE_DATE_EPOCH=" + initial.createdAt().getEpochSecond())
          .doesNotContain(publishes.toString());
    }
    assertThat(two.publishId()).isNotEqualTo(one.publishId());
    assertThat(two.outputLocation()).isNotEqualTo(one.outputLocation());
    assertThat(two.manifest()).isEqualTo(one.manifest());
    assertThat(two.manifestHash()).isEqualTo(one.manifestHash()).isEqualTo(Manifests.hash(one.manifest())).hasSize(64);
    assertThat(statuses).anyMatch(s -> s.contains("npm ci")).anyMatch(s -> s.contains("vite build"))
        .anyMatch(s -> s.startsWith("published "));

    assertThat(builder.publishes("site", 10)).extracting(PublishResult::publishId).containsExactly(two.publishId(), one.publishId());
    assertThat(builder.publishes("site", 1)).hasSize(1);

    // a restarted host reads the records back from disk
    VitePublisher restarted = publisher();
    assertThat(restarted.list("site", 10)).extracting(PublishResult::publishId).containsExactly(two.publishId(), one.publishId());
    PublishResult reread = restarted.find("site", one.publishId()).orElseThrow();
    assertThat(reread.manifest()).isEqualTo(one.manifest());
    assertThat(reread.manifestHash()).isEqualTo(one.manifestHash());
    assertThat(reread.buildLog()).isEqualTo(one.buildLog());
    assertThat(reread.outputLocation()).isEqualTo(one.outputLocation());
    assertThat(reread.startedAt()).isEqualTo(one.startedAt());
    assertThat(restarted.find("site", "pub_unknown")).isEmpty();
    assertThat(restarted.list("other", 10)).isEmpty();
  }

  @Test
  void reactCheckpointBuildsByteIdenticalTwice() {
    ChatBuilder builder = closing(facade(ScriptedModel.builder().build()).publisher(publisher()).build());
    Checkpoint initial = builder.createApp("react-site", ViteTemplates.REACT);
    PublishResult one = builder.publish("react-site", initial.id(), statuses::add);
    PublishResult two = builder.publish("react-site", initial.id(), StatusListener.NONE);
    assertThat(one.success()).as(one.buildLog()).isTrue();
    assertThat(two.success()).as(two.buildLog()).isTrue();
    assertThat(two.manifestHash()).isEqualTo(one.manifestHash());
    assertThat(readAll(Path.of(one.outputLocation().orElseThrow()), ".js")).contains("Hello from your new React app");
  }

  @Test
  void brokenAppFailsWithTheBuildErrorWhileTheDraftKeepsRunning() throws Exception {
    String broken = "import './missing.js'\ndocument.querySelector('#app').textContent = 'broken'\n";
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file",
            new ObjectMapper().createObjectNode().put("path", "src/main.js").put("content", broken).toString()))
        .turn(t -> t.text("Done."))
        .build();
    ChatBuilder.Builder facade = facade(model);
    ViteDraftRuntime drafts = ViteDraftRuntime.builder(sandboxes).build();
    ChatBuilder builder = closing(facade.draftRuntime(drafts).publisher(publisher()).build());
    builder.createApp("broken", ViteTemplates.VANILLA);
    DraftStatus draft = builder.startDraft("broken", statuses::add);
    assertThat(draft.state()).isEqualTo(DraftState.RUNNING);
    long pid = ViteTestSupport.viteProcess(apps.resolve("broken")).orElseThrow().pid();
    RunResult run = builder.chat("broken", "break it").completion().get(60, TimeUnit.SECONDS);
    Checkpoint head = run.checkpoint().orElseThrow();

    statuses.clear();
    PublishResult failed = builder.publish("broken", head.id(), statuses::add);
    assertThat(failed.success()).isFalse();
    assertThat(failed.error().orElseThrow()).startsWith("vite build failed (exit code 1)")
        .contains("Could not resolve \"./missing.js\" from \"src/main.js\"");
    assertThat(failed.buildLog()).contains("Could not resolve \"./missing.js\"");
    assertThat(failed.manifest()).isEmpty();
    assertThat(failed.manifestHash()).isEmpty();
    assertThat(failed.outputLocation()).isEmpty();
    assertThat(failed.checkpointId()).isEqualTo(head.id());
    assertThat(statuses).anyMatch(s -> s.startsWith("publish failed: vite build failed"));
    assertThat(publishes.resolve("broken").resolve(failed.publishId()).resolve("dist")).doesNotExist();

    // the draft never noticed
    DraftStatus after = builder.draftStatus("broken");
    assertThat(after.state()).isEqualTo(DraftState.RUNNING);
    assertThat(after.restarts()).isZero();
    assertThat(ViteTestSupport.viteProcess(apps.resolve("broken")).orElseThrow().pid()).isEqualTo(pid);
    assertThat(get(after.previewUrl().orElseThrow()).status()).isEqualTo(200);

    assertThat(builder.publishes("broken", 10)).singleElement().extracting(PublishResult::success).isEqualTo(false);
    PublishResult reread = publisher().find("broken", failed.publishId()).orElseThrow();
    assertThat(reread.success()).isFalse();
    assertThat(reread.error()).isEqualTo(failed.error());
  }

  @Test
  void checkpointWithoutPackageJsonFailsBeforeInstalling() {
    // (a checkpoint without a lockfile publishes: DraftPublishCorrectnessTest)
    ChatBuilder builder = closing(facade(ScriptedModel.builder().build()).publisher(publisher()).build());
    builder.sandbox("nolock").write("index.html", "<p>hi</p>".getBytes(StandardCharsets.UTF_8));
    Checkpoint c = builder.initialize("nolock");
    // a listener that throws (a closed UI stream) does not break the publish
    PublishResult r = builder.publish("nolock", c.id(), message -> {
      statuses.add(message);
      throw new IllegalStateException("the UI stream is closed");
    });
    assertThat(statuses).hasSizeGreaterThan(1);
    assertThat(r.success()).isFalse();
    assertThat(r.error().orElseThrow()).contains("the checkpoint has no package.json");
    assertThat(r.buildLog()).doesNotContain("[chatbuilder] npm");
  }

  @Test
  void hostilePathsInAStoredRevisionAreNeverWritten() throws Exception {
    ChatBuilder builder = closing(facade(ScriptedModel.builder().build()).build());
    Checkpoint c = builder.createApp("hostile", ViteTemplates.VANILLA);
    CheckpointStore real = builder.checkpointStore();
    for (String path : List.of("../../escaped.js", "/tmp/escaped.js", "src/../../escaped.js")) {
      CheckpointStore tampered = new AddingStore(real, path, real.revision(c.resultRevisionId()).files().get("index.html"));
      PublishResult r = publisher().publish("hostile", c, tampered, StatusListener.NONE);
      assertThat(r.success()).as(path).isFalse();
      assertThat(r.error().orElseThrow()).as(path).contains("path");
    }
    try (Stream<Path> all = Files.walk(publishes)) {
      assertThat(all.filter(p -> p.getFileName().toString().equals("escaped.js")).toList()).isEmpty();
    }
    assertThat(Files.exists(Path.of("/tmp/escaped.js"))).isFalse();
  }

  @Test
  void badRequestsGetClearErrorsAndLeaveNothingBehind() throws Exception {
    ChatBuilder builder = closing(facade(ScriptedModel.builder().build()).build());
    Checkpoint c = builder.createApp("app", ViteTemplates.VANILLA);
    VitePublisher publisher = publisher();
    CheckpointStore store = builder.checkpointStore();

    assertThatThrownBy(() -> publisher.publish("other", c, store, StatusListener.NONE))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("belongs to app app");
    assertThatThrownBy(() -> publisher.publish("../x", c, store, StatusListener.NONE)).isInstanceOf(InvalidArgumentException.class);
    Checkpoint unknownRevision = new Checkpoint(c.id(), c.appId(), c.parentId(), "no-such-revision", c.type(), c.label(),
        c.toolSummary(), c.runId(), c.runOutcome(), c.sourceCheckpointId(), c.conversationLength(), c.stats(), c.createdAt());
    assertThatThrownBy(() -> publisher.publish("app", unknownRevision, store, StatusListener.NONE)).isInstanceOf(NotFoundException.class);
    try (Stream<Path> left = Files.list(publishes.resolve("app"))) {
      assertThat(left.toList()).as("no half-made publish directory").isEmpty();
    }
    assertThat(publisher.list("app", 10)).isEmpty();
    assertThatThrownBy(() -> publisher.list("app", -1)).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> publisher.find("../x", "p")).isInstanceOf(InvalidArgumentException.class);

    // a damaged record is skipped when a host restarts, not fatal
    Path damaged = Files.createDirectories(publishes.resolve("app").resolve("pub_damaged"));
    Files.writeString(damaged.resolve(VitePublisher.RECORD), "{ not json");
    Path partial = Files.createDirectories(publishes.resolve("app").resolve("pub_partial"));
    Files.writeString(partial.resolve(VitePublisher.RECORD), "{\"publish_id\":\"pub_partial\"}");
    assertThat(publisher().list("app", 10)).isEmpty();
    assertThatThrownBy(() -> VitePublisher.builder(publishes, ViteTestSupport.buildSandboxes()).maxLogChars(10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VitePublisher.builder(publishes, null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> VitePublisher.builder(publishes, ViteTestSupport.buildSandboxes()).environment("X", "a\nb"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static SortedMap<String, String> independentManifest(Path dist) throws Exception {
    SortedMap<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dist)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
        out.put(dist.relativize(f).toString().replace('\\', '/'), HexFormat.of().formatHex(digest));
      }
    }
    return out;
  }

  private static String readAll(Path dist, String suffix) {
    StringBuilder out = new StringBuilder();
    try (Stream<Path> files = Files.walk(dist)) {
      for (Path f : files.filter(p -> p.toString().endsWith(suffix)).toList()) {
        out.append(Files.readString(f));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toString();
  }

  /** A store that reports one extra (hostile) path in every revision, as a corrupted store might. */
  private record AddingStore(CheckpointStore delegate, String extraPath, FileRef ref) implements ForwardingCheckpointStore {
    @Override
    public Revision revision(String revisionId) {
      SortedMap<String, FileRef> files = new TreeMap<>(delegate.revision(revisionId).files());
      files.put(extraPath, ref);
      return new Revision(revisionId, files);
    }
  }
}
