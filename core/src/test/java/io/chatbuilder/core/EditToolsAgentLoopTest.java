package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.ChangeKind;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.FileChange;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.tool.EditTools;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The agent loop with the patch tools: failures the model recovers from, and the write_file fallback. */
class EditToolsAgentLoopTest {
  private static final String APP = "function App() {\n  return <h1>Hello</h1>\n}\n\nexport default App\n";
  private static final String HINT = "Editing src/App.jsx has now failed 3 times in a row. Stop patching it: read it "
      + "with read_file and write its complete new content with write_file.";

  private final List<ChatBuilder> opened = new ArrayList<>();
  private InMemorySandbox sandbox;

  @AfterEach
  void close() {
    opened.forEach(ChatBuilder::close);
  }

  private ChatBuilder builder(ScriptedModel model, ChatBuilder.Builder b) {
    sandbox = InMemorySandbox.builder("app").file("src/App.jsx", APP).build();
    ChatBuilder cb = b.model(model).sandboxes(id -> sandbox).build();
    opened.add(cb);
    return cb;
  }

  private static RunResult await(RunHandle run) throws Exception {
    return run.completion().get(30, TimeUnit.SECONDS);
  }

  private static List<String> types(RunHandle run) {
    return run.events().stream().map(Event::type).toList();
  }

  private static <T extends Event> List<T> events(RunHandle run, Class<T> type) {
    return run.events().stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static String editArgs(String oldString, String newString) {
    return "{\"path\": \"src/App.jsx\", \"old_string\": \"" + oldString + "\", \"new_string\": \"" + newString + "\"}";
  }

  private String app() {
    return new String(sandbox.read("src/App.jsx").bytes(), StandardCharsets.UTF_8);
  }

  @Test
  void aFailedEditIsRetriedSuccessfully() throws Exception {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("edit_file", editArgs("<h1>Hi</h1>", "<h1>Welcome</h1>")))
        .turn(t -> t.toolCall("edit_file", editArgs("<h1>Hello</h1>", "<h1>Welcome</h1>")))
        .turn(t -> t.text("Changed the heading."))
        .build();
    ChatBuilder cb = builder(model, ChatBuilder.builder());
    RunHandle run = cb.chat("app", "Say welcome");
    RunResult result = await(run);

    assertThat(types(run)).containsExactly(
        "run_started", "checkpoint_created",
        "assistant_message", "tool_started", "tool_failed",
        "assistant_message", "tool_started", "tool_completed", "file_changes",
        "assistant_delta", "assistant_message",
        "checkpoint_created", "run_completed");
    Event.ToolFailed failed = events(run, Event.ToolFailed.class).get(0);
    assertThat(failed.toolName()).isEqualTo("edit_file");
    assertThat(failed.errorCode()).isEqualTo("invalid_argument");
    assertThat(failed.error()).isEqualTo("""
        old_string was not found in src/App.jsx, not even when ignoring whitespace and Unicode punctuation. The most \
        similar part of the file is line 2:
        2\t  return <h1>Hello</h1>

        Copy old_string exactly from the file as it is now (read_file with offset, limit and line_numbers shows the \
        lines; do not include the line numbers) and try again.""");
    Event.ToolCompleted completed = events(run, Event.ToolCompleted.class).get(0);
    assertThat(completed.summary()).isEqualTo("edited src/App.jsx (line 2)");
    List<FileChange> changes = events(run, Event.FileChanges.class).get(0).changes();
    assertThat(changes).singleElement().satisfies(c -> {
      assertThat(c.path()).isEqualTo("src/App.jsx");
      assertThat(c.kind()).isEqualTo(ChangeKind.MODIFIED);
      assertThat(c.linesAdded()).isEqualTo(1);
      assertThat(c.linesRemoved()).isEqualTo(1);
    });
    List<Event.CheckpointCreated> checkpoints = events(run, Event.CheckpointCreated.class);
    assertThat(checkpoints.get(0).checkpoint().type()).isEqualTo(CheckpointType.INITIAL);
    assertThat(checkpoints.get(1).checkpoint().type()).isEqualTo(CheckpointType.AGENT_RUN);
    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(result.toolSummary()).isEqualTo(Map.of("edit_file", 2));
    assertThat(app()).isEqualTo(APP.replace("Hello", "Welcome"));

    // The model saw the error as the failed call's result, then the success with the changed lines.
    List<ChatMessage.ToolResult> results = model.requests().get(2).messages().stream()
        .filter(m -> m instanceof ChatMessage.ToolResult).map(m -> (ChatMessage.ToolResult) m).toList();
    assertThat(results.get(0).error()).isTrue();
    assertThat(results.get(0).content()).isEqualTo("Error: " + failed.error());
    assertThat(results.get(1).error()).isFalse();
    assertThat(results.get(1).content()).isEqualTo("""
        Edited src/App.jsx: line 2 of 5 changed.
        1\tfunction App() {
        2\t  return <h1>Welcome</h1>
        3\t}
        4\t
        """);
  }

  @Test
  void thirdFailureOnAFileTellsTheModelToFallBackToWriteFile() throws Exception {
    String written = "function App() {\n  return <h1>Welcome</h1>\n}\n\nexport default App\n";
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.toolCall("edit_file", editArgs("<h1>Hi</h1>", "<h1>Welcome</h1>")))
        .turn(t -> t.toolCall("edit_file", editArgs("<h1>Hey</h1>", "<h1>Welcome</h1>")))
        .turn(t -> t.toolCall("edit_file", editArgs("<h2>Hello</h2>", "<h1>Welcome</h1>")))
        .turn(t -> t.toolCall("write_file", "{\"path\": \"src/App.jsx\", \"content\": \""
            + written.replace("\n", "\\n") + "\"}"))
        .turn(t -> t.text("Rewrote the file."))
        .build();
    ChatBuilder cb = builder(model, ChatBuilder.builder());
    RunHandle run = cb.chat("app", "Say welcome");
    RunResult result = await(run);

    assertThat(types(run)).containsExactly(
        "run_started", "checkpoint_created",
        "assistant_message", "tool_started", "tool_failed",
        "assistant_message", "tool_started", "tool_failed",
        "assistant_message", "tool_started", "tool_failed",
        "assistant_message", "tool_started", "tool_completed", "file_changes",
        "assistant_delta", "assistant_message",
        "checkpoint_created", "run_completed");
    List<Event.ToolFailed> failed = events(run, Event.ToolFailed.class);
    assertThat(failed.get(0).error()).doesNotContain("write_file.");
    assertThat(failed.get(1).error()).doesNotContain("write_file.");
    assertThat(failed.get(2).error()).startsWith("old_string was not found in src/App.jsx").endsWith("\n\n" + HINT);
    assertThat(events(run, Event.ToolCompleted.class).get(0).toolName()).isEqualTo("write_file");
    assertThat(result.toolSummary()).isEqualTo(Map.of("edit_file", 3, "write_file", 1));
    assertThat(app()).isEqualTo(written);
  }

  @Test
  void gptModelsGetApplyPatchAndAFailedPatchChangesNothing() throws Exception {
    String bad = "*** Begin Patch\\n*** Update File: src/App.jsx\\n@@\\n-  return <h1>Hi</h1>\\n+  return <h1>Welcome</h1>\\n"
        + "*** Add File: src/extra.js\\n+export const x = 1\\n*** End Patch";
    String good = "*** Begin Patch\\n*** Update File: src/App.jsx\\n@@ function App() {\\n-  return <h1>Hello</h1>\\n"
        + "+  return <h1>Welcome</h1>\\n*** Add File: src/extra.js\\n+export const x = 1\\n*** End Patch";
    ScriptedModel model = ScriptedModel.builder().name("openai:gpt-4.1")
        .turn(t -> t.toolCall("apply_patch", "{\"input\": \"" + bad + "\"}"))
        .turn(t -> t.toolCall("apply_patch", "{\"input\": \"" + good + "\"}"))
        .turn(t -> t.text("Done."))
        .build();
    ChatBuilder cb = builder(model, ChatBuilder.builder());
    RunHandle run = cb.chat("app", "Say welcome and add extra.js");
    await(run);

    assertThat(model.requests().get(0).tools()).extracting(ToolDefinition::name).contains("apply_patch")
        .doesNotContain("edit_file");
    assertThat(types(run)).containsExactly(
        "run_started", "checkpoint_created",
        "assistant_message", "tool_started", "tool_failed",
        "assistant_message", "tool_started", "tool_completed", "file_changes",
        "assistant_delta", "assistant_message",
        "checkpoint_created", "run_completed");
    assertThat(events(run, Event.ToolFailed.class).get(0).error())
        .startsWith("could not find its lines of the hunk in src/App.jsx").endsWith("nothing was changed.");
    List<FileChange> changes = events(run, Event.FileChanges.class).get(0).changes();
    assertThat(changes).extracting(FileChange::path).containsExactly("src/App.jsx", "src/extra.js");
    assertThat(changes).extracting(FileChange::kind).containsExactly(ChangeKind.MODIFIED, ChangeKind.ADDED);
    assertThat(events(run, Event.ToolCompleted.class).get(0).summary()).isEqualTo("patched M src/App.jsx, A src/extra.js");
    assertThat(app()).isEqualTo(APP.replace("Hello", "Welcome"));
  }

  @Test
  void aHostOverridesTheChoice() throws Exception {
    ScriptedModel model = ScriptedModel.builder().name("anthropic:claude-sonnet-4-5")
        .turn(t -> t.text("Hi."))
        .build();
    ChatBuilder cb = builder(model, ChatBuilder.builder().editTools(EditTools.APPLY_PATCH));
    await(cb.chat("app", "hello"));
    assertThat(model.requests().get(0).tools()).extracting(ToolDefinition::name).contains("apply_patch", "write_file")
        .doesNotContain("edit_file");
  }
}
