package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The quick start of the root README, kept compiling and working. */
class QuickStartTest {
  @Test
  void readmeQuickStartWorks() {
    ScriptedModel model = ScriptedModel.builder()
        .turn(t -> t.text("Adding a title.").toolCall("write_file",
            "{\"path\":\"index.html\",\"content\":\"<h1>Hello</h1>\"}"))
        .turn(t -> t.text("Done."))
        .build();
    List<String> types = new CopyOnWriteArrayList<>();
    Sandbox[] sandbox = new Sandbox[1];
    try (ChatBuilder builder = ChatBuilder.builder()
        .model(model)
        .sandboxes(appId -> sandbox[0] = InMemorySandbox.builder(appId).build())
        .build()) {
      RunHandle run = builder.chat("my-app", "Add a title");
      run.subscribe(0, event -> types.add(event.type()));
      RunResult result = run.completion().join();
      assertThat(result.outcome()).as("%s", result.error()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(sandbox[0].read("index.html").text()).contains("<h1>Hello</h1>");
      builder.undo("my-app");
      assertThat(sandbox[0].tryRead("index.html")).isEmpty();
      builder.redo("my-app");
      assertThat(sandbox[0].read("index.html").text()).contains("<h1>Hello</h1>");
      assertThat(builder.checkpoints("my-app", 10)).extracting(Checkpoint::type)
          .containsExactly(CheckpointType.REDO, CheckpointType.UNDO, CheckpointType.AGENT_RUN, CheckpointType.INITIAL);
    }
    assertThat(types).first().isEqualTo(Event.RunStarted.TYPE);
    assertThat(types).last().isEqualTo(Event.RunCompleted.TYPE);
  }
}
