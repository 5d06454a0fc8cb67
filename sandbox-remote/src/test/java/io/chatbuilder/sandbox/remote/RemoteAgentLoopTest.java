package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The agent loop, unchanged, driving a sandbox on a server over HTTP on 127.0.0.1. */
class RemoteAgentLoopTest {
  private final SandboxRegistry registry = new SandboxRegistry();
  private final SandboxServer server = SandboxServer.builder(registry).start();
  private ChatBuilder chatBuilder;

  @AfterEach
  void stop() {
    if (chatBuilder != null) {
      chatBuilder.close();
    }
    server.close();
  }

  @Test
  void aScriptedConversationRunsEndToEndOnARemoteSandbox() throws Exception {
    String token = SandboxRegistry.newToken();
    InMemorySandbox backend = new FakeCommands().install(InMemorySandbox.builder("shop"))
        .file("index.html", "<h1>Hi</h1>\n").build();
    registry.register(backend, token);

    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.text("Looking.").toolCall("list_files", "{}"))
        .turn(t -> t.toolCall("read_file", "{\"path\":\"index.html\"}"))
        .turn(t -> t.toolCall("write_file", "{\"path\":\"index.html\",\"content\":\"<h1>Dark</h1>\\n\"}")
            .toolCall("write_file", "{\"path\":\"src/theme.css\",\"content\":\"body { background: #111; }\\n\"}"))
        .turn(t -> t.toolCall("run_command", "{\"argv\":[\"node\",\"print\",\"3\"]}"))
        .turn(t -> t.toolCall("run_command", "{\"argv\":[\"bash\",\"-c\",\"id\"]}"))
        .turn(t -> t.toolCall("search_files", "{\"pattern\":\"Dark\"}"))
        .turn(t -> t.toolCall("read_file", "{\"path\":\"../etc/passwd\"}"))
        .turn(t -> t.text("Dark mode is on."))
        .build();
    chatBuilder = ChatBuilder.builder().model(model)
        .sandboxes(appId -> RemoteSandbox.builder(server.url(), appId, token).build())
        .build();

    RunHandle run = chatBuilder.chat("shop", "Add dark mode");
    RunResult result = run.completion().get(60, TimeUnit.SECONDS);

    assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
    assertThat(result.steps()).isEqualTo(8);
    // The files changed on the server side, where the sandbox lives.
    assertThat(new String(backend.read("index.html").bytes(), StandardCharsets.UTF_8)).isEqualTo("<h1>Dark</h1>\n");
    assertThat(backend.files()).containsOnlyKeys("index.html", "src/theme.css");

    List<Event> events = run.events();
    assertThat(events).filteredOn(e -> e instanceof Event.ToolFailed).extracting(e -> ((Event.ToolFailed) e).errorCode())
        .containsExactly("command_denied", "path_refused");
    assertThat(events).filteredOn(e -> e instanceof Event.Status).extracting(e -> ((Event.Status) e).message())
        .contains("node: line 1", "node: line 3");
    assertThat(events.get(events.size() - 1)).isInstanceOf(Event.RunCompleted.class);
    assertThat(result.checkpoint()).hasValueSatisfying(c -> {
      assertThat(c.type()).isEqualTo(CheckpointType.AGENT_RUN);
      assertThat(c.stats().filesAdded()).isEqualTo(1);
      assertThat(c.stats().filesModified()).isEqualTo(1);
    });
    assertThat(result.toolSummary()).containsAllEntriesOf(Map.of("write_file", 2, "run_command", 2, "read_file", 2));

    // What the model saw of the remote sandbox: the real file, the command's output, the search hit.
    List<ChatMessage> lastRequest = model.requests().get(7).messages();
    assertThat(lastRequest).filteredOn(m -> m instanceof ChatMessage.ToolResult)
        .extracting(m -> ((ChatMessage.ToolResult) m).content())
        .anySatisfy(c -> assertThat(c).isEqualTo("<h1>Hi</h1>\n"))
        .anySatisfy(c -> assertThat(c).contains("line 3"))
        .anySatisfy(c -> assertThat(c).contains("index.html"));

    // Undo goes through the remote sandbox too (apply of the previous file set).
    chatBuilder.undo("shop");
    assertThat(new String(backend.read("index.html").bytes(), StandardCharsets.UTF_8)).isEqualTo("<h1>Hi</h1>\n");
    assertThat(backend.files()).containsOnlyKeys("index.html");
  }
}
