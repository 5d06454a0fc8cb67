package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The offline demo model through the real agent loop: what each kind of request does to the files. */
class DemoModelTest {
  private final Map<String, Sandbox> sandboxes = new HashMap<>();
  private ChatBuilder builder;

  @BeforeEach
  void start() {
    builder = ChatBuilder.builder().model(new DemoModel(Duration.ZERO))
        .sandboxes(appId -> sandboxes.computeIfAbsent(appId, id -> InMemorySandbox.builder(id).build()))
        .template(new StarterTemplate()).build();
    builder.createApp("demo", StarterTemplate.ID);
  }

  @AfterEach
  void stop() {
    builder.close();
  }

  private RunResult chat(String message) {
    RunResult result = builder.chat("demo", message).completion().join();
    assertThat(result.outcome()).as(result.error().orElse("")).isEqualTo(RunOutcome.COMPLETED);
    return result;
  }

  private String file(String path) {
    return builder.sandbox("demo").read(path).text().orElseThrow();
  }

  @Test
  void anyRequestBuildsTheCounterAppStepByStep() {
    RunResult result = chat("Build me something nice");
    assertThat(result.toolSummary()).containsEntry("list_files", 1).containsEntry("write_file", 3);
    assertThat(file("index.html")).isEqualTo(DemoModel.html("Counter", false));
    assertThat(file("style.css")).isEqualTo(DemoModel.css(false));
    assertThat(file("src/main.js")).isEqualTo(DemoModel.script(false));
  }

  @Test
  void followUpsAreDeterministic() {
    chat("Build a counter app");
    chat("Make it DARK please");
    assertThat(file("style.css")).isEqualTo(DemoModel.css(true));
    chat("make it light");
    assertThat(file("style.css")).isEqualTo(DemoModel.css(false));
    chat("add a reset button");
    assertThat(file("index.html")).contains("id=\"reset\"");
    assertThat(file("src/main.js")).contains("#reset");
    chat("rename it to Tally <script>");
    assertThat(file("index.html")).contains("<h1 id=\"title\">Tally script</h1>").doesNotContain("<script>alert");
  }

  @Test
  void itSaysItIsTheDemo() {
    assertThat(new DemoModel().name()).isEqualTo("offline-demo");
    RunResult result = chat("hello");
    String text = builder.events("demo", result.runId(), 0).stream()
        .filter(e -> e instanceof io.chatbuilder.core.event.Event.AssistantMessage)
        .map(e -> ((io.chatbuilder.core.event.Event.AssistantMessage) e).text()).findFirst().orElseThrow();
    assertThat(text).contains("offline demo model");
  }
}
