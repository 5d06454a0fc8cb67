package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.checkpoint.ChangeKind;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.FileChange;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.Usage;
import io.chatbuilder.core.runtime.DraftState;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The events JSON Schema against core: every {@link Event} record has a schema (and nothing else
 * does), the schema's properties are exactly the record's components, every event type serialized
 * through {@link JsonCodec} validates, and the enums match core's. Adding a field to an event
 * record (or a record it carries) without the schema fails here.
 */
class EventSchemaTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonCodec CODEC = new JsonCodec();
  private static final Instant AT = Instant.parse("2026-01-02T03:04:05.678Z");

  /** Where the wire name is not the component's snake_case name. */
  private static final Map<String, String> RENAMED = Map.of("Checkpoint.type", "checkpoint_type",
      "Checkpoint.label", "checkpoint_label");

  private static JsonNode schemaDocument() throws IOException {
    try (InputStream in = EventSchemaTest.class.getResourceAsStream("contracts/events.schema.json")) {
      return MAPPER.readTree(in);
    }
  }

  static Checkpoint checkpoint(boolean full) {
    return new Checkpoint("ck_1", "app", full ? Optional.of("ck_0") : Optional.empty(), "rev_1",
        full ? CheckpointType.AGENT_RUN : CheckpointType.INITIAL, full ? "add n.txt" : "",
        full ? Map.of("write_file", 2) : Map.of(), full ? Optional.of("run_1") : Optional.empty(),
        full ? Optional.of(RunOutcome.COMPLETED) : Optional.empty(), full ? Optional.of("ck_s") : Optional.empty(),
        full ? 4 : 0, new ChangeStats(1, 2, 3, 4, 5, 6, 7), AT);
  }

  /** One of every event type, with optional parts both present and absent. */
  static List<Event> samples() {
    Usage usage = new Usage(10, 20, 0, 0);
    Usage cached = new Usage(10, 20, 3, 4);
    FileChange added = new FileChange("a.txt", ChangeKind.ADDED, Optional.empty(), 0, 5, 1, 0, false);
    FileChange renamed = new FileChange("b.txt", ChangeKind.RENAMED, Optional.of("old.txt"), 5, 5, 0, 0, true);
    return List.of(
        new Event.RunStarted("app", "run_1", 1, AT, "make a page", "claude"),
        new Event.RunStarted("app", "run_1", 1, AT, "make a page", "claude", Optional.of("alice"), java.util.Map.of("tenant", "acme")),
        new Event.AssistantDelta("app", "run_1", 2, AT, 0, "Hel"),
        new Event.ReasoningDelta("app", "run_1", 3, AT, 0, "thinking"),
        new Event.ToolInputDelta("app", "run_1", 4, AT, 0, "call_1", "write_file", 0, ""),
        new Event.ToolInputDelta("app", "run_1", 5, AT, 0, "call_1", "write_file", 0, "{\"pa"),
        new Event.AssistantMessage("app", "run_1", 6, AT, 0, "Hello", usage),
        new Event.AssistantMessage("app", "run_1", 7, AT, 1, "Hello", cached),
        new Event.ToolStarted("app", "run_1", 8, AT, "call_1", "write_file", MAPPER.createObjectNode().put("path", "a.txt")),
        new Event.ToolStarted("app", "run_1", 9, AT, "call_2", "write_file", MAPPER.getNodeFactory().textNode("{bad json")),
        new Event.ToolCompleted("app", "run_1", 10, AT, "call_1", "write_file", "wrote a.txt", 12),
        new Event.ToolFailed("app", "run_1", 11, AT, "call_2", "write_file", "bad arguments", "invalid_argument", 3),
        new Event.FileChanges("app", "run_1", 12, AT, List.of(added, renamed)),
        new Event.FileChanges("app", "run_1", 13, AT, List.of()),
        new Event.CheckpointCreated("app", "run_1", 14, AT, checkpoint(true)),
        new Event.CheckpointCreated("app", "run_1", 15, AT, checkpoint(false)),
        new Event.Status("app", "run_1", 16, AT, "installing dependencies"),
        new Event.RunCompleted("app", "run_1", 17, AT, 2, cached, Map.of("write_file", 1)),
        new Event.RunFailed("app", "run_2", 3, AT, "model went away", "model_error"),
        new Event.RunCancelled("app", "run_3", 2, AT, "cancelled by the user"));
  }

  @Test
  void everyEventTypeSerializedByJsonCodecValidates() {
    Set<Class<?>> covered = new HashSet<>();
    for (Event e : samples()) {
      String json = CODEC.toJson(e);
      Contracts.assertValid(Contracts.EVENTS, json);
      Contracts.assertValid(Contracts.EVENTS + "#/$defs/" + e.getClass().getSimpleName(), json);
      covered.add(e.getClass());
    }
    Set<Class<?>> known = Arrays.stream(Event.class.getPermittedSubclasses()).filter(c -> c != Event.Unknown.class)
        .collect(Collectors.toSet());
    assertThat(covered).as("every event type has a sample here").isEqualTo(known);
  }

  @Test
  void theSchemaRejectsWhatTheCodecNeverWrites() {
    ObjectNode e = CODEC.toTree(new Event.Status("app", "run_1", 1, AT, "hi"));
    assertThat(Contracts.errors(Contracts.EVENTS, CODEC.write(e.deepCopy().put("extra", 1)))).isNotEmpty();
    ObjectNode missing = e.deepCopy();
    missing.remove("message");
    assertThat(Contracts.errors(Contracts.EVENTS, CODEC.write(missing))).isNotEmpty();
    assertThat(Contracts.errors(Contracts.EVENTS, CODEC.write(e.deepCopy().put("seq", 0)))).isNotEmpty();
    assertThat(Contracts.errors(Contracts.EVENTS, CODEC.write(e.deepCopy().put("type", "no_such_type")))).isNotEmpty();
  }

  @Test
  void schemasHaveExactlyTheRecordsComponents() throws IOException {
    JsonNode defs = schemaDocument().path("$defs");
    Set<String> eventDefs = new TreeSet<>();
    for (JsonNode ref : defs.path("Event").path("oneOf")) {
      eventDefs.add(ref.path("$ref").asText().replace("#/$defs/", ""));
    }
    Set<String> records = Arrays.stream(Event.class.getPermittedSubclasses()).filter(c -> c != Event.Unknown.class)
        .map(Class::getSimpleName).collect(Collectors.toCollection(TreeSet::new));
    assertThat(eventDefs).isEqualTo(records);

    List<Class<?>> types = new ArrayList<>(Arrays.asList(Event.class.getPermittedSubclasses()));
    types.remove(Event.Unknown.class);
    types.addAll(List.of(Checkpoint.class, FileChange.class, ChangeStats.class, Usage.class));
    for (Class<?> type : types) {
      JsonNode def = defs.path(type.getSimpleName());
      assertThat(def.isObject()).as("schema for " + type.getSimpleName()).isTrue();
      Set<String> properties = new TreeSet<>();
      def.path("properties").fieldNames().forEachRemaining(properties::add);
      Set<String> components = new TreeSet<>();
      for (RecordComponent c : type.getRecordComponents()) {
        components.add(RENAMED.getOrDefault(type.getSimpleName() + "." + c.getName(), snake(c.getName())));
      }
      if (Event.class.isAssignableFrom(type)) {
        components.add("type"); // a method of every event, not a component
        String wire = wireType(type);
        assertThat(def.path("properties").path("type").path("const").asText()).as(type.getSimpleName()).isEqualTo(wire);
      }
      assertThat(properties).as("schema properties of " + type.getSimpleName()).isEqualTo(components);
      assertThat(def.path("additionalProperties").asBoolean(true)).as(type.getSimpleName() + " is closed").isFalse();
    }
  }

  @Test
  void enumsAreCoresWireNames() throws IOException {
    JsonNode defs = schemaDocument().path("$defs");
    assertThat(strings(defs.path("Checkpoint").path("properties").path("checkpoint_type").path("enum")))
        .isEqualTo(Arrays.stream(CheckpointType.values()).map(CheckpointType::wireName).collect(Collectors.toSet()));
    assertThat(strings(defs.path("Checkpoint").path("properties").path("run_outcome").path("enum")))
        .isEqualTo(Arrays.stream(RunOutcome.values()).map(RunOutcome::wireName).collect(Collectors.toSet()));
    assertThat(strings(defs.path("FileChange").path("properties").path("kind").path("enum")))
        .isEqualTo(Arrays.stream(ChangeKind.values()).map(ChangeKind::wireName).collect(Collectors.toSet()));
  }

  /** One of every app event type, with optional parts both present and absent. */
  static List<AppEvent> appSamples() {
    return List.of(
        new AppEvent.RunStarted("app", 1, AT, "run_1", "make a page"),
        new AppEvent.RunEnded("app", 2, AT, "run_1", RunOutcome.COMPLETED, Optional.empty(), Optional.empty()),
        new AppEvent.RunEnded("app", 3, AT, "run_2", RunOutcome.FAILED, Optional.of("boom"), Optional.of("internal")),
        new AppEvent.CheckpointCreated("app", 4, AT, checkpoint(true)),
        new AppEvent.CheckpointCreated("app", 5, AT, checkpoint(false)),
        new AppEvent.DraftStateChanged("app", 6, AT, DraftState.RUNNING, Optional.of("http://127.0.0.1:5173/"), Optional.empty()),
        new AppEvent.DraftStateChanged("app", 7, AT, DraftState.FAILED, Optional.empty(), Optional.of("npm install failed")),
        new AppEvent.DraftProgress("app", 8, AT, "installing dependencies"),
        new AppEvent.PublishStarted("app", 9, AT, "ck_1"),
        new AppEvent.PublishProgress("app", 10, AT, "ck_1", "vite build"),
        new AppEvent.PublishFinished("app", 11, AT, "ck_1", Optional.of("pub_1"), true, Optional.empty(), Optional.of("/dist")),
        new AppEvent.PublishFinished("app", 12, AT, "ck_1", Optional.empty(), false, Optional.of("no space"), Optional.empty()),
        new AppEvent.PreviewError("app", 13, AT, "compile", "Unexpected token", Optional.of("src/App.tsx"), 3, 9, 2),
        new AppEvent.PreviewError("app", 14, AT, "console", "oops", Optional.empty(), 0, 0, 1));
  }

  @Test
  void everyAppEventTypeSerializedByJsonCodecValidates() {
    Set<Class<?>> covered = new HashSet<>();
    for (AppEvent e : appSamples()) {
      String json = CODEC.toJson(e);
      Contracts.assertValid(Contracts.EVENTS + "#/$defs/AppEvent", json);
      Contracts.assertValid(Contracts.EVENTS + "#/$defs/App" + e.getClass().getSimpleName(), json);
      assertThat(CODEC.appEventFromJson(json)).isEqualTo(e);
      covered.add(e.getClass());
    }
    Set<Class<?>> known = Arrays.stream(AppEvent.class.getPermittedSubclasses()).filter(c -> c != AppEvent.Unknown.class)
        .collect(Collectors.toSet());
    assertThat(covered).as("every app event type has a sample here").isEqualTo(known);
    ObjectNode e = CODEC.toTree(new AppEvent.DraftProgress("app", 1, AT, "hi"));
    assertThat(Contracts.errors(Contracts.EVENTS + "#/$defs/AppEvent", CODEC.write(e.deepCopy().put("extra", 1)))).isNotEmpty();
    assertThat(Contracts.errors(Contracts.EVENTS + "#/$defs/AppEvent", CODEC.write(e.deepCopy().put("seq", 0)))).isNotEmpty();
  }

  @Test
  void appEventSchemasHaveExactlyTheRecordsComponents() throws IOException {
    JsonNode defs = schemaDocument().path("$defs");
    Set<String> eventDefs = new TreeSet<>();
    for (JsonNode ref : defs.path("AppEvent").path("oneOf")) {
      eventDefs.add(ref.path("$ref").asText().replace("#/$defs/", ""));
    }
    List<Class<?>> types = new ArrayList<>(Arrays.asList(AppEvent.class.getPermittedSubclasses()));
    types.remove(AppEvent.Unknown.class);
    assertThat(eventDefs).isEqualTo(types.stream().map(c -> "App" + c.getSimpleName()).collect(Collectors.toCollection(TreeSet::new)));
    for (Class<?> type : types) {
      JsonNode def = defs.path("App" + type.getSimpleName());
      Set<String> properties = new TreeSet<>();
      def.path("properties").fieldNames().forEachRemaining(properties::add);
      Set<String> components = new TreeSet<>();
      for (RecordComponent c : type.getRecordComponents()) {
        components.add(snake(c.getName()));
      }
      components.add("type");
      assertThat(def.path("properties").path("type").path("const").asText()).as(type.getSimpleName()).isEqualTo(wireType(type));
      assertThat(properties).as("schema properties of App" + type.getSimpleName()).isEqualTo(components);
      assertThat(def.path("additionalProperties").asBoolean(true)).isFalse();
    }
    assertThat(strings(defs.path("AppDraftStateChanged").path("properties").path("state").path("enum")))
        .isEqualTo(Arrays.stream(DraftState.values()).map(v -> v.name().toLowerCase(java.util.Locale.ROOT)).collect(Collectors.toSet()));
    assertThat(strings(defs.path("AppRunEnded").path("properties").path("outcome").path("enum")))
        .isEqualTo(Arrays.stream(RunOutcome.values()).map(RunOutcome::wireName).collect(Collectors.toSet()));
  }

  private static Set<String> strings(JsonNode array) {
    Set<String> out = new HashSet<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static String wireType(Class<?> type) {
    try {
      return (String) type.getField("TYPE").get(null);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(type + " has no TYPE", e);
    }
  }

  static String snake(String camel) {
    StringBuilder b = new StringBuilder();
    for (char c : camel.toCharArray()) {
      if (Character.isUpperCase(c)) {
        b.append('_').append(Character.toLowerCase(c));
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }
}
