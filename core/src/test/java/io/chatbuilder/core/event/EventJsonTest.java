package io.chatbuilder.core.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.checkpoint.ChangeKind;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.FileChange;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.Reasoning;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.Usage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every event type round-trips through JSON and matches its checked-in example under
 * {@code src/test/resources/io/chatbuilder/core/event/examples/<type>.json}: the wire format is a
 * contract with UIs, so a change to it must show up as a changed example file.
 */
class EventJsonTest {
  private static final JsonCodec CODEC = new JsonCodec();
  private static final Instant AT = Instant.parse("2026-11-24T09:30:15.250Z");
  private static final String APP = "shop";
  private static final String RUN = "run_mi3k2x7a1b2c3d4e5f6";

  static final Checkpoint CHECKPOINT = new Checkpoint("c42", APP, Optional.of("c41"), "r42", CheckpointType.AGENT_RUN,
      "Add a dark-mode toggle", Map.of("read_file", 2, "write_file", 3), Optional.of(RUN), Optional.of(RunOutcome.COMPLETED),
      Optional.empty(), 6, new ChangeStats(1, 2, 0, 0, 40, 3, 5120), AT);

  static List<Event> samples() {
    ObjectNode args = JsonNodeFactory.instance.objectNode().put("path", "src/App.jsx").put("content", "export default () => <h1>Hi</h1>;\n");
    return List.of(
        new Event.RunStarted(APP, RUN, 1, AT, "Add a dark-mode toggle", "scripted"),
        new Event.AssistantDelta(APP, RUN, 2, AT, 1, "I'll add "),
        new Event.ReasoningDelta(APP, RUN, 2, AT, 1, "The toggle needs a CSS variable."),
        new Event.ToolInputDelta(APP, RUN, 3, AT, 1, "call_1", "write_file", 29, "\"content\":\"export default"),
        new Event.AssistantMessage(APP, RUN, 3, AT, 1, "I'll add a toggle.", new Usage(1200, 80)),
        new Event.ToolStarted(APP, RUN, 4, AT, "call_1", "write_file", args),
        new Event.ToolCompleted(APP, RUN, 5, AT, "call_1", "write_file", "created src/App.jsx (34 bytes)", 3),
        new Event.ToolFailed(APP, RUN, 6, AT, "call_2", "read_file", "no such file: src/Missing.jsx", "not_found", 1),
        new Event.FileChanges(APP, RUN, 7, AT, List.of(
            new FileChange("src/App.jsx", ChangeKind.ADDED, Optional.empty(), 0, 34, 1, 0, false),
            new FileChange("src/theme.css", ChangeKind.RENAMED, Optional.of("src/old.css"), 120, 120, 0, 0, false),
            new FileChange("public/logo.png", ChangeKind.MODIFIED, Optional.empty(), 2048, 4096, 0, 0, true))),
        new Event.CheckpointCreated(APP, RUN, 8, AT, CHECKPOINT),
        new Event.Status(APP, RUN, 9, AT, "npm: added 12 packages in 2s"),
        new Event.RunCompleted(APP, RUN, 10, AT, 3, new Usage(3600, 240, 2400, 1100), Map.of("read_file", 2, "write_file", 3)),
        new Event.RunFailed(APP, RUN, 10, AT, "the model did not finish within 40 turns", "step_limit"),
        new Event.RunCancelled(APP, RUN, 10, AT, "cancelled by the caller"));
  }

  @ParameterizedTest
  @MethodSource("samples")
  void roundTripsAndMatchesTheExample(Event event) throws IOException {
    String json = CODEC.toJson(event);
    assertThat(CODEC.eventFromJson(json)).isEqualTo(event);
    JsonNode example = example(event.type());
    assertThat(CODEC.read(json)).as("wire form of %s", event.type()).isEqualTo(example);
    assertThat(CODEC.eventFromTree(example)).isEqualTo(event);
  }

  @Test
  void everyEventTypeHasASampleAndAnExample() throws IOException {
    Set<String> sampled = samples().stream().map(Event::type).collect(Collectors.toSet());
    Set<String> permitted = Stream.of(Event.class.getPermittedSubclasses())
        .filter(c -> c != Event.Unknown.class)
        .map(c -> {
          try {
            return (String) c.getField("TYPE").get(null);
          } catch (ReflectiveOperationException e) {
            throw new AssertionError(c + " lacks a TYPE constant", e);
          }
        })
        .collect(Collectors.toSet());
    assertThat(sampled).isEqualTo(permitted).containsExactlyInAnyOrder(
        "run_started", "assistant_delta", "reasoning_delta", "tool_input_delta", "assistant_message", "tool_started",
        "tool_completed", "tool_failed",
        "file_changes", "checkpoint_created", "run_completed", "run_failed", "run_cancelled", "status");
    for (String type : sampled) {
      assertThat(example(type)).isNotNull();
    }
  }

  @Test
  void unknownTypesAreKeptNotRejected() {
    String json = "{\"type\":\"preview_ready\",\"app_id\":\"shop\",\"run_id\":\"r1\",\"seq\":5,"
        + "\"at\":\"2026-11-24T09:30:15.250Z\",\"url\":\"http://127.0.0.1:5173/\"}";
    Event event = CODEC.eventFromJson(json);
    assertThat(event).isInstanceOf(Event.Unknown.class);
    assertThat(event.type()).isEqualTo("preview_ready");
    assertThat(event.seq()).isEqualTo(5);
    assertThat(((Event.Unknown) event).json().get("url").asText()).isEqualTo("http://127.0.0.1:5173/");
    assertThat(CODEC.read(CODEC.toJson(event))).isEqualTo(CODEC.read(json));
  }

  @Test
  void malformedEventsFailClearly() {
    assertThatThrownBy(() -> CODEC.eventFromJson("{not json")).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("malformed JSON");
    assertThatThrownBy(() -> CODEC.eventFromJson("{\"type\":\"status\",\"app_id\":\"a\",\"run_id\":\"r\",\"seq\":1,\"at\":\"2026-11-24T09:30:15Z\"}"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("message");
    assertThatThrownBy(() -> CODEC.eventFromJson("{\"type\":\"status\",\"app_id\":\"a\",\"run_id\":\"r\",\"seq\":1,\"at\":\"yesterday\",\"message\":\"m\"}"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("at");
    assertThatThrownBy(() -> CODEC.eventFromJson("{\"type\":\"status\",\"app_id\":\"a\",\"run_id\":\"r\",\"seq\":0,\"at\":\"2026-11-24T09:30:15Z\",\"message\":\"m\"}"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("seq");
  }

  @Test
  void checkpointJsonRoundTripsWithAbsentOptionals() {
    Checkpoint initial = new Checkpoint("c1", APP, Optional.empty(), "r1", CheckpointType.INITIAL, "Initial files", Map.of(),
        Optional.empty(), Optional.empty(), Optional.empty(), 0, ChangeStats.EMPTY, AT);
    String json = CODEC.toJson(initial);
    assertThat(json).doesNotContain("parent_id").doesNotContain("run_id").doesNotContain("null");
    assertThat(CODEC.checkpointFromJson(json)).isEqualTo(initial);
  }

  @Test
  void aForkCheckpointNamesItsSourceAppOnTheWire() {
    Checkpoint fork = new Checkpoint("c9", "remix", Optional.empty(), "r1", CheckpointType.FORK, "Fork of shop", Map.of(),
        Optional.empty(), Optional.empty(), Optional.of("c1"), 0, ChangeStats.EMPTY, AT, Optional.of("shop"));
    String json = CODEC.toJson(fork);
    assertThat(CODEC.read(json).get("checkpoint_type").asText()).isEqualTo("fork");
    assertThat(CODEC.read(json).get("source_app_id").asText()).isEqualTo("shop");
    assertThat(CODEC.read(json).get("source_checkpoint_id").asText()).isEqualTo("c1");
    assertThat(CODEC.checkpointFromJson(json)).isEqualTo(fork);
    assertThat(CODEC.toJson(CHECKPOINT)).doesNotContain("source_app_id");
  }

  @Test
  void assistantMessagesKeepTheirReasoningAndRowsStoredWithoutItStillRead() {
    ChatMessage.Assistant message = new ChatMessage.Assistant("Writing it.",
        List.of(new ToolCall("toolu_1", "write_file", "{\"path\":\"a.txt\",\"content\":\"a\"}")),
        List.of(new Reasoning.Text("Check the file first.", "EqQBCgIYAhIM"), new Reasoning.Redacted("EmwKAhgBEgy3"),
            new Reasoning.Text("unsigned, as DeepSeek sends it")));
    String json = CODEC.toJson(message);
    assertThat(CODEC.read(json).get("reasoning")).isEqualTo(CODEC.read("""
        [{"type":"text","text":"Check the file first.","signature":"EqQBCgIYAhIM"},
         {"type":"redacted","data":"EmwKAhgBEgy3"},
         {"type":"text","text":"unsigned, as DeepSeek sends it"}]"""));
    assertThat(CODEC.messageFromJson(json)).isEqualTo(message);

    // a row written before reasoning was kept
    assertThat(CODEC.messageFromJson("{\"role\":\"assistant\",\"text\":\"Hi\",\"tool_calls\":[]}"))
        .isEqualTo(new ChatMessage.Assistant("Hi", List.of()));
    // no reasoning: no field, so rows stay as small as before
    assertThat(CODEC.toJson(new ChatMessage.Assistant("Hi", List.of()))).doesNotContain("reasoning");
    // a reasoning kind from a later version is skipped, not fatal
    assertThat(CODEC.messageFromJson("{\"role\":\"assistant\",\"text\":\"Hi\",\"tool_calls\":[],"
        + "\"reasoning\":[{\"type\":\"hologram\"},{\"type\":\"text\",\"text\":\"t\"}]}"))
        .isEqualTo(new ChatMessage.Assistant("Hi", List.of(), List.of(new Reasoning.Text("t"))));
  }

  @Test
  void usageWithoutCacheCountsReadsAsZeroAndPrintsWithoutThem() {
    assertThat(CODEC.usageFromTree(CODEC.read("{\"input_tokens\":5,\"output_tokens\":2}"))).isEqualTo(new Usage(5, 2, 0, 0));
    assertThat(CODEC.write(CODEC.usageToTree(new Usage(5, 2)))).isEqualTo("{\"input_tokens\":5,\"output_tokens\":2}");
  }

  private static JsonNode example(String type) throws IOException {
    String resource = "examples/" + type + ".json";
    String regenerate = System.getProperty("chatbuilder.writeExamples");
    if (regenerate != null) {
      Event sample = samples().stream().filter(e -> e.type().equals(type)).findFirst().orElseThrow();
      Path file = Path.of(regenerate, type + ".json");
      Files.writeString(file, CODEC.writePretty(CODEC.toTree(sample)) + "\n");
    }
    try (InputStream in = EventJsonTest.class.getResourceAsStream(resource)) {
      assertThat(in).as("example file %s", resource).isNotNull();
      return CODEC.read(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }
}
