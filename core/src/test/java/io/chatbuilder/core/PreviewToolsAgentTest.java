package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.DraftStatus;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The agent's side of issue 16 on core's in-memory parts: the tools offered with a draft runtime,
 * what read_preview_logs tells the model, and the opt-in final check (once, no loop).
 */
class PreviewToolsAgentTest {
  private static final String TYPE_ERROR = "src/App.tsx(3,9): error TS2322: Type 'string' is not assignable to type 'number'.\n";
  private final AtomicInteger tscRuns = new AtomicInteger();
  /** What tsc answers, by run: errors until the model "fixes" the file. */
  private volatile boolean broken = true;

  private static CommandResult result(int code, String out) {
    return new CommandResult(code, out, "", false, false, false, true, Duration.ofMillis(1));
  }

  private InMemorySandbox sandbox(String appId) {
    return InMemorySandbox.builder(appId)
        .file("package.json", "{\"scripts\":{\"build\":\"vite build\"}}")
        .file("tsconfig.json", "{}")
        .command("node", (request, sb, listener, cancellation) -> {
          List<String> argv = request.argv();
          if (argv.get(1).equals("-p")) {
            return result(0, "/apps/" + appId + "\n");
          }
          if (argv.get(1).equals("-e")) {
            return result(0, "");
          }
          tscRuns.incrementAndGet();
          boolean bad = broken && sb.tryRead("src/App.tsx").flatMap(f -> f.text()).orElse("").contains("BAD");
          return bad ? result(2, TYPE_ERROR) : result(0, "");
        })
        .command("npm", (request, sb, listener, cancellation) -> result(0, "built"))
        .build();
  }

  private static final class FakeDrafts implements DraftRuntime {
    volatile List<PreviewDiagnostic> diagnostics = List.of();
    volatile int cleared;

    @Override
    public DraftStatus start(String appId, StatusListener listener) {
      return status(appId);
    }

    @Override
    public DraftStatus status(String appId) {
      return new DraftStatus(appId, DraftState.RUNNING, Optional.of("http://127.0.0.1:1/"), List.of(), Optional.empty(), 0,
          Instant.EPOCH);
    }

    @Override
    public void stop(String appId) {}

    @Override
    public List<PreviewDiagnostic> diagnostics(String appId) {
      return diagnostics;
    }

    @Override
    public void clearDiagnostics(String appId) {
      cleared++;
      diagnostics = List.of();
    }

    @Override
    public void close() {}
  }

  private static String write(String content) {
    return "{\"path\":\"src/App.tsx\",\"content\":\"" + content + "\"}";
  }

  @Test
  void toolsAreOfferedWithADraftRuntimeAndReadPreviewLogsIsCompact() throws Exception {
    FakeDrafts drafts = new FakeDrafts();
    Instant at = Instant.parse("2026-12-02T01:02:03Z");
    drafts.diagnostics = List.of(
        new PreviewDiagnostic(PreviewDiagnostic.Kind.CONSOLE_ERROR, "older", Optional.empty(), OptionalInt.empty(),
            OptionalInt.empty(), Optional.empty(), 1, at, at),
        new PreviewDiagnostic(PreviewDiagnostic.Kind.UNCAUGHT_ERROR, "Error: boom", Optional.of("src/App.tsx"), OptionalInt.of(4),
            OptionalInt.of(11), Optional.of("Error: boom\n    at App (/src/App.tsx:4:11)"), 3, at, at));
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("read_preview_logs", "{\"clear\":true}"))
        .turn(t -> t.text("Seen."))
        .build();
    try (ChatBuilder cb = ChatBuilder.builder().model(model).sandboxes(this::sandbox).draftRuntime(drafts).build()) {
      RunResult run = cb.chat("app", "what broke?").completion().get(10, TimeUnit.SECONDS);
      assertThat(run.outcome()).isEqualTo(RunOutcome.COMPLETED);
    }
    assertThat(model.requests().get(0).tools()).extracting(ToolDefinition::name).contains("check_app", "read_preview_logs");
    assertThat(model.requests().get(0).systemPrompt()).contains("before you say you are done");
    ChatMessage.ToolResult logs = (ChatMessage.ToolResult) model.requests().get(1).messages().get(2);
    assertThat(logs.content()).isEqualTo("""
        [uncaught_error] src/App.tsx:4:11 ×3 Error: boom (last at 01:02:03 UTC)
            Error: boom
            at App (/src/App.tsx:4:11)
        [console_error] older (last at 01:02:03 UTC)
        """);
    assertThat(drafts.cleared).isEqualTo(1);

    ScriptedModel plain = ScriptedModel.builder().turn(t -> t.text("hi")).build();
    try (ChatBuilder cb = ChatBuilder.builder().model(plain).sandboxes(this::sandbox).build()) {
      cb.chat("app", "hello").completion().get(10, TimeUnit.SECONDS);
    }
    assertThat(plain.requests().get(0).tools()).extracting(ToolDefinition::name).doesNotContain("check_app", "read_preview_logs");
  }

  @Test
  void finalCheckSendsNewErrorsBackOnceAndNeverLoops() throws Exception {
    // the model says done on a broken file; the check's errors come back once; it fixes them
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", write("BAD")))
        .turn(t -> t.text("Done."))
        .turn(t -> t.toolCall("write_file", write("good")))
        .turn(t -> t.text("Fixed."))
        .build();
    try (ChatBuilder cb = ChatBuilder.builder().model(model).sandboxes(this::sandbox).draftRuntime(new FakeDrafts())
        .checkBeforeDone(true).build()) {
      RunHandle handle = cb.chat("app", "make it");
      RunResult run = handle.completion().get(10, TimeUnit.SECONDS);
      assertThat(run.outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(model.requests()).hasSize(4);
      List<ChatMessage> third = model.requests().get(2).messages();
      assertThat(third.get(third.size() - 1)).isEqualTo(new ChatMessage.Note("An automatic check_app after your changes found "
          + "errors:\ncheck failed (tsc --noEmit, npm run build): 1 error\nsrc/App.tsx:3:9 TS2322 Type 'string' is not "
          + "assignable to type 'number'.\nFix them, then reply with your summary. There is no further automatic check in this run."));
      assertThat(tscRuns.get()).isEqualTo(1); // no second automatic check after the fix
      assertThat(handle.events()).filteredOn(e -> e instanceof Event.Status).extracting(e -> ((Event.Status) e).message())
          .contains("checking the app before finishing (check_app)", "final check found 1 error: asking the model to fix them");
    }

    // a model that does not fix it: the single check is all there is, the run completes
    tscRuns.set(0);
    ScriptedModel stubborn = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", write("BAD")))
        .turn(t -> t.text("Done."))
        .turn(t -> t.text("Still done."))
        .build();
    try (ChatBuilder cb = ChatBuilder.builder().model(stubborn).sandboxes(this::sandbox).draftRuntime(new FakeDrafts())
        .checkBeforeDone(true).build()) {
      RunResult run = cb.chat("app", "make it").completion().get(10, TimeUnit.SECONDS);
      assertThat(run.outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(stubborn.requests()).hasSize(3);
      assertThat(tscRuns.get()).isEqualTo(1);
    }

    // errors the model already saw from its own check_app: not sent again
    tscRuns.set(0);
    ScriptedModel saw = ScriptedModel.builder()
        .turn(t -> t.toolCall("write_file", write("BAD")))
        .turn(t -> t.toolCall("check_app", "{}"))
        .turn(t -> t.text("I could not fix it."))
        .build();
    try (ChatBuilder cb = ChatBuilder.builder().model(saw).sandboxes(this::sandbox).draftRuntime(new FakeDrafts())
        .checkBeforeDone(true).build()) {
      RunHandle handle = cb.chat("app", "make it");
      assertThat(handle.completion().get(10, TimeUnit.SECONDS).outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(saw.requests()).hasSize(3);
      assertThat(tscRuns.get()).isEqualTo(2);
      assertThat(handle.events()).filteredOn(e -> e instanceof Event.Status).extracting(e -> ((Event.Status) e).message())
          .contains("final check: the same 1 error the model's last check_app found; not asking again");
    }

    // a run that changed nothing is not checked; off by default
    tscRuns.set(0);
    ScriptedModel idle = ScriptedModel.builder().turn(t -> t.text("Nothing to do.")).build();
    try (ChatBuilder cb = ChatBuilder.builder().model(idle).sandboxes(this::sandbox).draftRuntime(new FakeDrafts())
        .checkBeforeDone(true).build()) {
      cb.chat("app", "hi").completion().get(10, TimeUnit.SECONDS);
    }
    ScriptedModel off = ScriptedModel.builder().turn(t -> t.toolCall("write_file", write("BAD"))).turn(t -> t.text("Done.")).build();
    try (ChatBuilder cb = ChatBuilder.builder().model(off).sandboxes(this::sandbox).draftRuntime(new FakeDrafts()).build()) {
      cb.chat("app", "hi").completion().get(10, TimeUnit.SECONDS);
    }
    assertThat(tscRuns.get()).isZero();
    assertThat(broken).isTrue();
  }
}
