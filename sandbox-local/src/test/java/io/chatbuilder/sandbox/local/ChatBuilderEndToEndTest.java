package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.testing.ScriptedModel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade over a local sandbox: a scripted conversation edits real files on disk. */
class ChatBuilderEndToEndTest {
  @TempDir Path base;

  @Test
  void scriptedConversationEditsFilesOnDiskAndCheckpoints() throws Exception {
    Path appDir = Files.createDirectories(base.resolve("apps/todo"));
    Files.writeString(appDir.resolve("index.html"), "<h1>Todo</h1>\n");
    Files.createDirectories(appDir.resolve("node_modules/react"));
    Files.writeString(appDir.resolve("node_modules/react/index.js"), "// dependency, never checkpointed\n");
    Files.setLastModifiedTime(appDir.resolve("index.html"), FileTime.fromMillis(1_600_000_000_000L));

    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.text("Looking.").toolCall("list_files", "{}"))
        .turn(t -> t.text("Writing.").toolCall("write_file",
            "{\"path\":\"src/App.jsx\",\"content\":\"export default () => <h1>Dark</h1>;\\n\"}"))
        .turn(t -> t.text("Generating.").toolCall("write_file",
            "{\"path\":\"gen.js\",\"content\":\"require('fs').writeFileSync('src/generated.js', 'export const n = 42;\\\\n')\\n\"}"))
        .turn(t -> t.toolCall("run_command", "{\"argv\":[\"node\",\"gen.js\"]}"))
        .turn(t -> t.toolCall("search_files", "{\"pattern\":\"Dark\"}"))
        .turn(t -> t.text("Done."))
        .build();

    try (LocalSandboxProvider sandboxes = LocalSandboxProvider.create(base.resolve("apps"));
        ChatBuilder chat = ChatBuilder.builder().model(model).sandboxes(sandboxes).build()) {
      // The default sandbox is isolated: the agent's command runs inside bubblewrap or not at all.
      BwrapSupport.requireIsolated(sandboxes.open("todo"));
      RunHandle run = chat.chat("todo", "Make it dark");
      RunResult result = run.completion().get(60, TimeUnit.SECONDS);
      assertThat(result.outcome()).as(result.error().orElse("")).isEqualTo(RunOutcome.COMPLETED);
      assertThat(sandboxes.open("todo").isolated()).isTrue();

      // The files are on disk.
      assertThat(appDir.resolve("src/App.jsx")).hasContent("export default () => <h1>Dark</h1>;");
      assertThat(appDir.resolve("src/generated.js")).hasContent("export const n = 42;");
      assertThat(Files.getLastModifiedTime(appDir.resolve("index.html"))).isEqualTo(FileTime.fromMillis(1_600_000_000_000L));

      // The run's checkpoint records what the agent and its command changed, and no dependency.
      Checkpoint checkpoint = result.checkpoint().orElseThrow();
      assertThat(checkpoint.type()).isEqualTo(CheckpointType.AGENT_RUN);
      assertThat(chat.files("todo", checkpoint.id())).containsOnlyKeys("gen.js", "index.html", "src/App.jsx", "src/generated.js");
      assertThat(new String(chat.readFile("todo", checkpoint.id(), "src/generated.js").orElseThrow(), StandardCharsets.UTF_8))
          .isEqualTo("export const n = 42;\n");
      assertThat(result.toolSummary()).isEqualTo(Map.of("list_files", 1, "write_file", 2, "run_command", 1, "search_files", 1));
      List<String> changed = run.events().stream().filter(e -> e instanceof Event.FileChanges)
          .flatMap(e -> ((Event.FileChanges) e).changes().stream()).map(c -> c.path()).toList();
      assertThat(changed).contains("src/App.jsx", "gen.js", "src/generated.js");

      // Undo puts the disk back to the initial files, leaving the untouched one alone.
      Checkpoint undo = chat.undo("todo");
      assertThat(undo.type()).isEqualTo(CheckpointType.UNDO);
      assertThat(appDir.resolve("src/App.jsx")).doesNotExist();
      assertThat(appDir.resolve("src/generated.js")).doesNotExist();
      assertThat(appDir.resolve("index.html")).hasContent("<h1>Todo</h1>");
      assertThat(Files.getLastModifiedTime(appDir.resolve("index.html"))).isEqualTo(FileTime.fromMillis(1_600_000_000_000L));
      assertThat(appDir.resolve("node_modules/react/index.js")).exists();
    }
  }
}
