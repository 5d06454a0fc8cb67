package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.event.InMemoryAppEventLog;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PublishResult;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The app stream (DESIGN §3.1): every operation emits its event, gapless, and subscribers miss none. */
class AppStreamTest {
  private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final List<ChatBuilder> builders = new ArrayList<>();

  @AfterEach
  void close() {
    builders.forEach(ChatBuilder::close);
  }

  private ChatBuilder builder(AppEventLog log, CheckpointStore store, ScriptedModel model, DraftRuntime draft, Publisher publisher) {
    ChatBuilder.Builder b = ChatBuilder.builder()
        .model(model)
        .sandboxes(appId -> sandboxes.computeIfAbsent(appId, id -> InMemorySandbox.builder(id).build()))
        .checkpointStore(store)
        .appEventLog(log)
        .template(new AppTemplate() {
          @Override
          public String id() {
            return "blank";
          }

          @Override
          public String description() {
            return "one page";
          }

          @Override
          public SortedMap<String, byte[]> files() {
            return new TreeMap<>(Map.of("index.html", "<p>blank</p>".getBytes(StandardCharsets.UTF_8)));
          }
        });
    if (draft != null) {
      b.draftRuntime(draft);
    }
    if (publisher != null) {
      b.publisher(publisher);
    }
    ChatBuilder built = b.build();
    builders.add(built);
    return built;
  }

  private static ScriptedModel writes(String path, String content) {
    return ScriptedModel.builder()
        .turn(t -> t.text("Writing.").toolCall("write_file", "{\"path\":\"" + path + "\",\"content\":\"" + content + "\"}"))
        .turn(t -> t.text("Done."))
        .build();
  }

  private static List<String> describe(List<AppEvent> events) {
    return events.stream().map(e -> e instanceof AppEvent.CheckpointCreated c
        ? e.type() + ":" + c.checkpoint().type().wireName() : e.type()).toList();
  }

  private static void assertGapless(List<AppEvent> events) {
    assertThat(events).extracting(AppEvent::seq).isEqualTo(LongStream.rangeClosed(1, events.size()).boxed().toList());
  }

  @Test
  void aRunAndEveryHistoryOperationEmitTheirEvents() {
    ChatBuilder b = builder(new InMemoryAppEventLog(), new InMemoryCheckpointStore(), writes("a.txt", "one"), null, null);
    RunResult result = b.chat("shop", "write a").completion().join();
    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
    List<AppEvent> run = b.appEvents("shop", 0);
    assertThat(describe(run)).containsExactly("run_started", "checkpoint_created:initial", "checkpoint_created:agent_run",
        "run_ended");
    assertThat(((AppEvent.RunStarted) run.get(0)).runId()).isEqualTo(result.runId());
    AppEvent.RunEnded ended = (AppEvent.RunEnded) run.get(3);
    assertThat(ended.runId()).isEqualTo(result.runId());
    assertThat(ended.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(((AppEvent.CheckpointCreated) run.get(2)).checkpoint()).isEqualTo(b.head("shop").orElseThrow());

    long after = run.get(run.size() - 1).seq();
    Checkpoint undo = b.undo("shop");
    Checkpoint redo = b.redo("shop");
    Checkpoint restore = b.restore("shop", run.stream().map(e -> e instanceof AppEvent.CheckpointCreated c ? c.checkpoint() : null)
        .filter(c -> c != null && c.type() == CheckpointType.INITIAL).findFirst().orElseThrow().id());
    Checkpoint revert = b.revertFile("shop", redo.id(), "a.txt");
    // An outside edit is recorded before the undo that follows it, and both are on the stream.
    sandboxes.get("shop").write("b.txt", "outside".getBytes(StandardCharsets.UTF_8));
    Checkpoint undo2 = b.undo("shop");
    List<AppEvent> ops = b.appEvents("shop", after);
    List<Checkpoint> created = ops.stream().map(e -> ((AppEvent.CheckpointCreated) e).checkpoint()).toList();
    assertThat(created).hasSize(6);
    assertThat(created.subList(0, 4)).containsExactly(undo, redo, restore, revert);
    assertThat(created.get(4).type()).isIn(CheckpointType.MANUAL);
    assertThat(created.get(5)).isEqualTo(undo2);
    assertGapless(b.appEvents("shop", 0));
  }

  @Test
  void createAppForkAndInitializeEmitTheirCheckpoints() {
    ChatBuilder b = builder(new InMemoryAppEventLog(), new InMemoryCheckpointStore(), writes("a.txt", "x"), null, null);
    Checkpoint initial = b.createApp("src", "blank");
    Checkpoint fork = b.fork("src", initial.id(), "copy");
    assertThat(b.appEvents("src", 0)).extracting(e -> ((AppEvent.CheckpointCreated) e).checkpoint()).containsExactly(initial);
    assertThat(b.appEvents("copy", 0)).extracting(e -> ((AppEvent.CheckpointCreated) e).checkpoint()).containsExactly(fork);
    sandboxes.computeIfAbsent("plain", id -> InMemorySandbox.builder(id).build()).write("x.txt", new byte[] {1});
    Checkpoint init = b.initialize("plain");
    assertThat(b.appEvents("plain", 0)).extracting(e -> ((AppEvent.CheckpointCreated) e).checkpoint()).containsExactly(init);
    // Initializing again records nothing, so emits nothing.
    b.initialize("plain");
    assertThat(b.appEvents("plain", 0)).hasSize(1);
  }

  @Test
  void aFailedOperationEmitsNothingButWhatItRecorded() {
    ChatBuilder b = builder(new InMemoryAppEventLog(), new InMemoryCheckpointStore(), writes("a.txt", "x"), null, null);
    b.createApp("app", "blank");
    assertThatThrownBy(() -> b.redo("app")).isInstanceOf(NothingToDoException.class);
    assertThat(b.appEvents("app", 0)).hasSize(1);
  }

  @Test
  void subscribeDeliversTheBacklogThenLiveEventsWithNoGapAndNoDuplicate() throws Exception {
    ChatBuilder b = builder(new InMemoryAppEventLog(), new InMemoryCheckpointStore(), writes("a.txt", "x"), null, null);
    b.createApp("app", "blank");
    for (int i = 0; i < 10; i++) {
      b.reportPreviewError("app", "console", "e" + i, Optional.empty(), 0, 0, 1);
    }
    List<AppEvent> got = new CopyOnWriteArrayList<>();
    int total = 2000;
    Thread writer = new Thread(() -> {
      for (int i = 0; i < total; i++) {
        b.reportPreviewError("app", "console", "live" + i, Optional.of("src/a.ts"), i + 1, 1, 1);
      }
    });
    Thread writer2 = new Thread(() -> {
      for (int i = 0; i < total; i++) {
        b.reportPreviewError("app", "runtime", "other" + i, Optional.empty(), 0, 0, 1);
      }
    });
    writer.start();
    writer2.start();
    Thread.sleep(2);
    try (RunHandle.Subscription s = b.subscribeApp("app", 3, got::add)) {
      writer.join();
      writer2.join();
      // An outside edit and its undo: two checkpoints, delivered live.
      sandboxes.get("app").write("b.txt", new byte[] {2});
      b.undo("app");
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (got.size() < 11 + 2 * total - 3 + 2 && System.nanoTime() < end) {
        Thread.sleep(5);
      }
    }
    assertThat(got).extracting(AppEvent::seq).isEqualTo(LongStream.rangeClosed(4, 11 + 2L * total + 2).boxed().toList());
    assertThat(got.get(got.size() - 1)).isInstanceOf(AppEvent.CheckpointCreated.class);
    assertGapless(all(b, "app"));
  }

  private static List<AppEvent> all(ChatBuilder b, String appId) {
    List<AppEvent> out = new ArrayList<>();
    while (true) {
      List<AppEvent> page = b.appEvents(appId, out.isEmpty() ? 0 : out.get(out.size() - 1).seq());
      if (page.isEmpty()) {
        return out;
      }
      out.addAll(page);
    }
  }

  @Test
  void anotherHostsEventsReachASubscriberInOrderWhenThisHostAppendsNext() {
    InMemoryAppEventLog log = new InMemoryAppEventLog();
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    ChatBuilder hostA = builder(log, store, writes("a.txt", "x"), null, null);
    ChatBuilder hostB = builder(log, store, writes("a.txt", "x"), null, null);
    hostA.createApp("app", "blank");
    List<AppEvent> got = new CopyOnWriteArrayList<>();
    try (RunHandle.Subscription s = hostA.subscribeApp("app", 0, got::add)) {
      hostB.reportPreviewError("app", "console", "from b", Optional.empty(), 0, 0, 1);
      hostA.reportPreviewError("app", "console", "from a", Optional.empty(), 0, 0, 1);
    }
    assertThat(got).extracting(AppEvent::seq).containsExactly(1L, 2L, 3L);
    assertThat(((AppEvent.PreviewError) got.get(1)).message()).isEqualTo("from b");
  }

  @Test
  void aFailingLogNeverFailsTheOperation() {
    AppEventLog broken = new AppEventLog() {
      @Override
      public AppEvent append(AppEvent event) {
        throw new StoreException("database down", null);
      }

      @Override
      public List<AppEvent> read(String appId, long afterSeq, int limit) {
        throw new StoreException("database down", null);
      }

      @Override
      public long lastSeq(String appId) {
        throw new StoreException("database down", null);
      }
    };
    ChatBuilder b = builder(broken, new InMemoryCheckpointStore(), writes("a.txt", "x"), null, null);
    RunResult result = b.chat("app", "write").completion().join();
    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(b.undo("app").type()).isEqualTo(CheckpointType.UNDO);
    assertThat(b.reportPreviewError("app", "console", "x", Optional.empty(), 0, 0, 1)).isEmpty();
  }

  @Test
  void aListenerThatThrowsIsUnsubscribedAndOthersGoOn() {
    ChatBuilder b = builder(new InMemoryAppEventLog(), new InMemoryCheckpointStore(), writes("a.txt", "x"), null, null);
    List<AppEvent> good = new CopyOnWriteArrayList<>();
    List<AppEvent> bad = new CopyOnWriteArrayList<>();
    b.subscribeApp("app", 0, e -> {
      bad.add(e);
      throw new IllegalStateException("client gone");
    });
    b.subscribeApp("app", 0, good::add);
    b.createApp("app", "blank");
    b.reportPreviewError("app", "console", "x", Optional.empty(), 0, 0, 1);
    assertThat(bad).hasSize(1);
    assertThat(good).hasSize(2);
  }

  @Test
  void draftStateChangesAndPublishProgressAreOnTheStream() {
    DraftRuntime draft = new DraftRuntime() {
      final Map<String, DraftState> states = new ConcurrentHashMap<>();

      @Override
      public DraftStatus start(String appId, StatusListener listener) {
        listener.onStatus("installing dependencies");
        states.put(appId, DraftState.RUNNING);
        return status(appId);
      }

      @Override
      public DraftStatus status(String appId) {
        DraftState s = states.getOrDefault(appId, DraftState.STOPPED);
        return new DraftStatus(appId, s, s == DraftState.RUNNING ? Optional.of("http://127.0.0.1:1/") : Optional.empty(), List.of(),
            Optional.empty(), 0, Instant.EPOCH);
      }

      @Override
      public void stop(String appId) {
        states.put(appId, DraftState.STOPPED);
      }

      @Override
      public void close() {}
    };
    Publisher publisher = new Publisher() {
      @Override
      public PublishResult publish(String appId, Checkpoint checkpoint, CheckpointStore store, StatusListener listener) {
        listener.onStatus("vite build");
        return new PublishResult("pub_1", appId, checkpoint.id(), checkpoint.resultRevisionId(), true, new TreeMap<>(), "h", "log",
            Optional.empty(), Optional.of("/out"), Instant.EPOCH, Duration.ZERO);
      }

      @Override
      public Optional<PublishResult> find(String appId, String publishId) {
        return Optional.empty();
      }

      @Override
      public List<PublishResult> list(String appId, int limit) {
        return List.of();
      }
    };
    ChatBuilder b = builder(new InMemoryAppEventLog(), new InMemoryCheckpointStore(), writes("a.txt", "x"), draft, publisher);
    Checkpoint initial = b.createApp("app", "blank");
    List<String> lines = new ArrayList<>();
    b.startDraft("app", lines::add);
    b.draftStatus("app"); // unchanged: no event
    b.stopDraft("app");
    b.publish("app", lines::add);
    assertThat(lines).containsExactly("installing dependencies", "vite build");
    List<AppEvent> events = b.appEvents("app", 1);
    assertThat(describe(events)).containsExactly("draft_progress", "draft_state", "draft_state", "publish_started",
        "publish_progress", "publish_finished");
    assertThat(((AppEvent.DraftStateChanged) events.get(1)).previewUrl()).contains("http://127.0.0.1:1/");
    assertThat(((AppEvent.DraftStateChanged) events.get(2)).state()).isEqualTo(DraftState.STOPPED);
    AppEvent.PublishFinished finished = (AppEvent.PublishFinished) events.get(5);
    assertThat(finished.publishId()).contains("pub_1");
    assertThat(finished.checkpointId()).isEqualTo(initial.id());
    assertThat(finished.success()).isTrue();
  }

  @Test
  void previewDiagnosticsOfTheDraftRuntimeArePreviewErrorsOnTheAppStream() {
    java.util.List<io.chatbuilder.core.runtime.DiagnosticListener> diagnosticListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    DraftRuntime draft = new DraftRuntime() {
      @Override
      public DraftStatus start(String appId, StatusListener listener) {
        return status(appId);
      }

      @Override
      public DraftStatus status(String appId) {
        return new DraftStatus(appId, DraftState.STOPPED, Optional.empty(), List.of(), Optional.empty(), 0, Instant.EPOCH);
      }

      @Override
      public void stop(String appId) {}

      @Override
      public RunHandle.Subscription onDiagnostic(io.chatbuilder.core.runtime.DiagnosticListener listener) {
        diagnosticListeners.add(listener);
        return () -> diagnosticListeners.remove(listener);
      }

      @Override
      public void close() {}
    };
    ChatBuilder b = builder(new InMemoryAppEventLog(), new InMemoryCheckpointStore(), writes("a.txt", "x"), draft, null);
    b.createApp("app", "blank");
    assertThat(diagnosticListeners).hasSize(1);
    diagnosticListeners.get(0).onDiagnostic("app", new io.chatbuilder.core.runtime.PreviewDiagnostic(
        io.chatbuilder.core.runtime.PreviewDiagnostic.Kind.UNCAUGHT_ERROR, "boom is not defined", Optional.of("src/App.tsx"),
        java.util.OptionalInt.of(4), java.util.OptionalInt.of(9), Optional.empty(), 3, Instant.EPOCH, Instant.EPOCH));
    // A runtime reporting an app id the facade refuses does not break the runtime's listener.
    diagnosticListeners.get(0).onDiagnostic("../bad", new io.chatbuilder.core.runtime.PreviewDiagnostic(
        io.chatbuilder.core.runtime.PreviewDiagnostic.Kind.CONSOLE_ERROR, "x", Optional.empty(), java.util.OptionalInt.empty(),
        java.util.OptionalInt.empty(), Optional.empty(), 1, Instant.EPOCH, Instant.EPOCH));
    List<AppEvent> events = b.appEvents("app", 0);
    AppEvent.PreviewError error = (AppEvent.PreviewError) events.get(events.size() - 1);
    assertThat(error.kind()).isEqualTo("uncaught_error");
    assertThat(error.message()).isEqualTo("boom is not defined");
    assertThat(error.file()).contains("src/App.tsx");
    assertThat(error.line()).isEqualTo(4);
    assertThat(error.column()).isEqualTo(9);
    assertThat(error.count()).isEqualTo(3);
  }

  @Test
  void jsonRoundTripsAndUnknownTypesSurvive() {
    JsonCodec json = new JsonCodec();
    AppEvent e = new AppEvent.PreviewError("app", 7, Instant.parse("2026-01-02T03:04:05.006Z"), "compile", "Unexpected token",
        Optional.of("src/App.tsx"), 3, 9, 2);
    String text = json.toJson(e);
    assertThat(text).isEqualTo("{\"type\":\"preview_error\",\"app_id\":\"app\",\"seq\":7,\"at\":\"2026-01-02T03:04:05.006Z\","
        + "\"kind\":\"compile\",\"message\":\"Unexpected token\",\"file\":\"src/App.tsx\",\"line\":3,\"column\":9,\"count\":2}");
    assertThat(json.appEventFromJson(text)).isEqualTo(e);
    String future = "{\"type\":\"future_thing\",\"app_id\":\"app\",\"seq\":8,\"at\":\"2026-01-02T03:04:05Z\",\"x\":1}";
    AppEvent unknown = json.appEventFromJson(future);
    assertThat(unknown).isInstanceOf(AppEvent.Unknown.class);
    assertThat(json.toJson(unknown)).isEqualTo(future);
    assertThat(json.toJson(unknown.withSeq(9))).contains("\"seq\":9");
    assertThatThrownBy(() -> json.appEventFromJson("{\"type\":\"run_ended\",\"app_id\":\"a\",\"seq\":1,\"at\":\"2026-01-02T03:04:05Z\"}"))
        .isInstanceOf(InvalidArgumentException.class);
  }
}
