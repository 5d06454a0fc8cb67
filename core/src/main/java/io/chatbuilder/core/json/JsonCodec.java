package io.chatbuilder.core.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.checkpoint.ChangeKind;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.FileChange;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.Attachment;
import io.chatbuilder.core.model.ChatInput;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.Reasoning;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.Usage;
import io.chatbuilder.core.runtime.DraftState;
import io.chatbuilder.core.runtime.PreviewDiagnostic;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The JSON wire form of events, checkpoints, file changes and conversation messages: snake_case
 * names, ISO-8601 UTC timestamps, absent optionals left out. Written by hand rather than by
 * annotations so the wire format cannot drift when a record gains a field. Thread-safe.
 */
public final class JsonCodec {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  // Kept private: a mapper handed out can be reconfigured by anyone and change every module's
  // wire format. Callers get trees, text and bytes through the methods below.
  private final ObjectMapper mapper;
  private final ObjectReader strictReader;
  private final ObjectWriter prettyWriter;

  public JsonCodec() {
    this.mapper = new ObjectMapper();
    this.strictReader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    this.prettyWriter = mapper.writerWithDefaultPrettyPrinter();
  }

  // ---------------------------------------------------------------- general JSON support

  /** A new empty JSON object. */
  public ObjectNode objectNode() {
    return NODES.objectNode();
  }

  /** A new empty JSON array. */
  public ArrayNode arrayNode() {
    return NODES.arrayNode();
  }

  /**
   * Parses JSON text: exactly one value, nothing after it but white space.
   *
   * @throws InvalidArgumentException if it is not valid JSON
   */
  public JsonNode read(String json) {
    Objects.requireNonNull(json, "json == null");
    try {
      JsonNode node = strictReader.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw new InvalidArgumentException("empty JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new InvalidArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Parses JSON bytes (UTF-8) as {@link #read(String)} does. */
  public JsonNode read(byte[] json) {
    Objects.requireNonNull(json, "json == null");
    try {
      JsonNode node = strictReader.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw new InvalidArgumentException("empty JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw new InvalidArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new InvalidArgumentException("unreadable JSON: " + e.getMessage(), e);
    }
  }

  /** Parses JSON text, or empty if it is not exactly one valid JSON value. */
  public Optional<JsonNode> tryRead(String json) {
    try {
      return Optional.of(read(json));
    } catch (InvalidArgumentException e) {
      return Optional.empty();
    }
  }

  /** Prints compact JSON. */
  public String write(JsonNode node) {
    try {
      return mapper.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot print JSON", e);
    }
  }

  /** Prints compact JSON as UTF-8 bytes. */
  public byte[] writeBytes(JsonNode node) {
    try {
      return mapper.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot print JSON", e);
    }
  }

  /** Prints indented JSON, for files people read (records, golden samples). */
  public String writePretty(JsonNode node) {
    try {
      return prettyWriter.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot print JSON", e);
    }
  }

  /** A JSON object as plain Java values (maps, lists, strings, numbers, booleans), for APIs that take those. */
  public Map<String, Object> toJavaMap(ObjectNode node) {
    @SuppressWarnings("unchecked")
    Map<String, Object> map = mapper.convertValue(node, Map.class);
    return map;
  }

  /** Plain Java values (maps, lists, strings, numbers, booleans) as a JSON tree. */
  public JsonNode fromJava(Object value) {
    return mapper.valueToTree(value);
  }

  /** A JSON object of counts (such as a tool summary), keys in order; non-objects give an empty map. */
  public Map<String, Integer> countsFrom(JsonNode o) {
    return countsFromTree(o);
  }

  /** Counts as a JSON object with keys in order. */
  public ObjectNode countsTree(Map<String, Integer> counts) {
    return countsToTree(counts);
  }

  // ---------------------------------------------------------------- events

  public String toJson(Event event) {
    return write(toTree(event));
  }

  public ObjectNode toTree(Event event) {
    if (event instanceof Event.Unknown unknown) {
      return (ObjectNode) unknown.json();
    }
    ObjectNode o = NODES.objectNode();
    o.put("type", event.type());
    o.put("app_id", event.appId());
    o.put("run_id", event.runId());
    o.put("seq", event.seq());
    o.put("at", event.at().toString());
    if (event instanceof Event.RunStarted e) {
      o.put("message", e.message());
      o.put("model", e.model());
      e.principal().ifPresent(p -> o.put("principal", p));
      if (!e.attributes().isEmpty()) {
        ObjectNode attributes = o.putObject("attributes");
        e.attributes().forEach(attributes::put);
      }
    } else if (event instanceof Event.AssistantDelta e) {
      o.put("step", e.step());
      o.put("text", e.text());
    } else if (event instanceof Event.ReasoningDelta e) {
      o.put("step", e.step());
      o.put("text", e.text());
    } else if (event instanceof Event.ToolInputDelta e) {
      o.put("step", e.step());
      o.put("call_id", e.callId());
      o.put("tool_name", e.toolName());
      o.put("offset", e.offset());
      o.put("fragment", e.fragment());
    } else if (event instanceof Event.AssistantMessage e) {
      o.put("step", e.step());
      o.put("text", e.text());
      o.set("usage", usageToTree(e.usage()));
    } else if (event instanceof Event.ToolStarted e) {
      o.put("call_id", e.callId());
      o.put("tool_name", e.toolName());
      o.set("arguments", e.arguments());
    } else if (event instanceof Event.ToolCompleted e) {
      o.put("call_id", e.callId());
      o.put("tool_name", e.toolName());
      o.put("summary", e.summary());
      o.put("duration_ms", e.durationMs());
    } else if (event instanceof Event.ToolFailed e) {
      o.put("call_id", e.callId());
      o.put("tool_name", e.toolName());
      o.put("error", e.error());
      o.put("error_code", e.errorCode());
      o.put("duration_ms", e.durationMs());
    } else if (event instanceof Event.FileChanges e) {
      ArrayNode changes = o.putArray("changes");
      e.changes().forEach(c -> changes.add(fileChangeToTree(c)));
    } else if (event instanceof Event.CheckpointCreated e) {
      o.set("checkpoint", checkpointToTree(e.checkpoint()));
    } else if (event instanceof Event.Status e) {
      o.put("message", e.message());
    } else if (event instanceof Event.RunCompleted e) {
      o.put("steps", e.steps());
      o.set("usage", usageToTree(e.usage()));
      o.set("tool_summary", countsToTree(e.toolSummary()));
    } else if (event instanceof Event.RunFailed e) {
      o.put("error", e.error());
      o.put("error_code", e.errorCode());
    } else if (event instanceof Event.RunCancelled e) {
      o.put("reason", e.reason());
    }
    return o;
  }

  /**
   * Reads an event; a type this version does not know becomes {@link Event.Unknown}.
   *
   * @throws InvalidArgumentException if the JSON is malformed or a known type lacks a field
   */
  public Event eventFromJson(String json) {
    return eventFromTree(read(json));
  }

  public Event eventFromTree(JsonNode o) {
    try {
      String type = text(o, "type");
      String appId = text(o, "app_id");
      String runId = text(o, "run_id");
      long seq = longValue(o, "seq");
      Instant at = instant(o, "at");
      return switch (type) {
        case Event.RunStarted.TYPE -> new Event.RunStarted(appId, runId, seq, at, text(o, "message"), optText(o, "model").orElse(""),
            optText(o, "principal"), stringMap(o, "attributes"));
        case Event.AssistantDelta.TYPE -> new Event.AssistantDelta(appId, runId, seq, at, intValue(o, "step"), text(o, "text"));
        case Event.ReasoningDelta.TYPE -> new Event.ReasoningDelta(appId, runId, seq, at, intValue(o, "step"), text(o, "text"));
        case Event.ToolInputDelta.TYPE -> new Event.ToolInputDelta(appId, runId, seq, at, intValue(o, "step"), text(o, "call_id"),
            text(o, "tool_name"), longValue(o, "offset"), text(o, "fragment"));
        case Event.AssistantMessage.TYPE -> new Event.AssistantMessage(appId, runId, seq, at, intValue(o, "step"),
            text(o, "text"), usageFromTree(o.get("usage")));
        case Event.ToolStarted.TYPE -> new Event.ToolStarted(appId, runId, seq, at, text(o, "call_id"), text(o, "tool_name"),
            required(o, "arguments"));
        case Event.ToolCompleted.TYPE -> new Event.ToolCompleted(appId, runId, seq, at, text(o, "call_id"), text(o, "tool_name"),
            text(o, "summary"), longValue(o, "duration_ms"));
        case Event.ToolFailed.TYPE -> new Event.ToolFailed(appId, runId, seq, at, text(o, "call_id"), text(o, "tool_name"),
            text(o, "error"), optText(o, "error_code").orElse("internal"), longValue(o, "duration_ms"));
        case Event.FileChanges.TYPE -> {
          List<FileChange> changes = new ArrayList<>();
          for (JsonNode c : array(o, "changes")) {
            changes.add(fileChangeFromTree(c));
          }
          yield new Event.FileChanges(appId, runId, seq, at, changes);
        }
        case Event.CheckpointCreated.TYPE -> new Event.CheckpointCreated(appId, runId, seq, at, checkpointFromTree(required(o, "checkpoint")));
        case Event.Status.TYPE -> new Event.Status(appId, runId, seq, at, text(o, "message"));
        case Event.RunCompleted.TYPE -> new Event.RunCompleted(appId, runId, seq, at, intValue(o, "steps"),
            usageFromTree(o.get("usage")), countsFromTree(o.get("tool_summary")));
        case Event.RunFailed.TYPE -> new Event.RunFailed(appId, runId, seq, at, text(o, "error"), optText(o, "error_code").orElse("internal"));
        case Event.RunCancelled.TYPE -> new Event.RunCancelled(appId, runId, seq, at, optText(o, "reason").orElse(""));
        default -> new Event.Unknown(type, appId, runId, seq, at, o);
      };
    } catch (InvalidArgumentException e) {
      throw e;
    } catch (IllegalArgumentException | NullPointerException | ClassCastException e) {
      throw new InvalidArgumentException("malformed event: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- app events

  public String toJson(AppEvent event) {
    return write(toTree(event));
  }

  public ObjectNode toTree(AppEvent event) {
    if (event instanceof AppEvent.Unknown unknown) {
      return (ObjectNode) unknown.json();
    }
    ObjectNode o = NODES.objectNode();
    o.put("type", event.type());
    o.put("app_id", event.appId());
    o.put("seq", event.seq());
    o.put("at", event.at().toString());
    if (event instanceof AppEvent.RunStarted e) {
      o.put("run_id", e.runId());
      o.put("message", e.message());
    } else if (event instanceof AppEvent.RunEnded e) {
      o.put("run_id", e.runId());
      o.put("outcome", e.outcome().wireName());
      e.error().ifPresent(v -> o.put("error", v));
      e.errorCode().ifPresent(v -> o.put("error_code", v));
    } else if (event instanceof AppEvent.CheckpointCreated e) {
      o.set("checkpoint", checkpointToTree(e.checkpoint()));
    } else if (event instanceof AppEvent.DraftStateChanged e) {
      o.put("state", e.state().name().toLowerCase(java.util.Locale.ROOT));
      e.previewUrl().ifPresent(v -> o.put("preview_url", v));
      e.error().ifPresent(v -> o.put("error", v));
    } else if (event instanceof AppEvent.DraftProgress e) {
      o.put("message", e.message());
    } else if (event instanceof AppEvent.PublishStarted e) {
      o.put("checkpoint_id", e.checkpointId());
    } else if (event instanceof AppEvent.PublishProgress e) {
      o.put("checkpoint_id", e.checkpointId());
      o.put("message", e.message());
    } else if (event instanceof AppEvent.PublishFinished e) {
      o.put("checkpoint_id", e.checkpointId());
      e.publishId().ifPresent(v -> o.put("publish_id", v));
      o.put("success", e.success());
      e.error().ifPresent(v -> o.put("error", v));
      e.outputLocation().ifPresent(v -> o.put("output_location", v));
    } else if (event instanceof AppEvent.PreviewError e) {
      o.put("kind", e.kind());
      o.put("message", e.message());
      e.file().ifPresent(v -> o.put("file", v));
      o.put("line", e.line());
      o.put("column", e.column());
      o.put("count", e.count());
    }
    return o;
  }

  /**
   * Reads an app event; a type this version does not know becomes {@link AppEvent.Unknown}.
   *
   * @throws InvalidArgumentException if the JSON is malformed or a known type lacks a field
   */
  public AppEvent appEventFromJson(String json) {
    return appEventFromTree(read(json));
  }

  public AppEvent appEventFromTree(JsonNode o) {
    try {
      String type = text(o, "type");
      String appId = text(o, "app_id");
      long seq = longValue(o, "seq");
      Instant at = instant(o, "at");
      return switch (type) {
        case AppEvent.RunStarted.TYPE -> new AppEvent.RunStarted(appId, seq, at, text(o, "run_id"), optText(o, "message").orElse(""));
        case AppEvent.RunEnded.TYPE -> new AppEvent.RunEnded(appId, seq, at, text(o, "run_id"),
            RunOutcome.fromWireName(text(o, "outcome")), optText(o, "error"), optText(o, "error_code"));
        case AppEvent.CheckpointCreated.TYPE -> new AppEvent.CheckpointCreated(appId, seq, at, checkpointFromTree(required(o, "checkpoint")));
        case AppEvent.DraftStateChanged.TYPE -> new AppEvent.DraftStateChanged(appId, seq, at,
            DraftState.valueOf(text(o, "state").toUpperCase(java.util.Locale.ROOT)), optText(o, "preview_url"), optText(o, "error"));
        case AppEvent.DraftProgress.TYPE -> new AppEvent.DraftProgress(appId, seq, at, text(o, "message"));
        case AppEvent.PublishStarted.TYPE -> new AppEvent.PublishStarted(appId, seq, at, text(o, "checkpoint_id"));
        case AppEvent.PublishProgress.TYPE -> new AppEvent.PublishProgress(appId, seq, at, text(o, "checkpoint_id"), text(o, "message"));
        case AppEvent.PublishFinished.TYPE -> new AppEvent.PublishFinished(appId, seq, at, text(o, "checkpoint_id"),
            optText(o, "publish_id"), o.path("success").asBoolean(), optText(o, "error"), optText(o, "output_location"));
        case AppEvent.PreviewError.TYPE -> new AppEvent.PreviewError(appId, seq, at, text(o, "kind"), text(o, "message"),
            optText(o, "file"), o.path("line").asInt(), o.path("column").asInt(), o.hasNonNull("count") ? intValue(o, "count") : 1);
        default -> new AppEvent.Unknown(type, appId, seq, at, o);
      };
    } catch (InvalidArgumentException e) {
      throw e;
    } catch (IllegalArgumentException | NullPointerException | ClassCastException e) {
      throw new InvalidArgumentException("malformed app event: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- checkpoints

  public ObjectNode checkpointToTree(Checkpoint c) {
    ObjectNode o = NODES.objectNode();
    o.put("id", c.id());
    o.put("app_id", c.appId());
    c.parentId().ifPresent(p -> o.put("parent_id", p));
    o.put("result_revision_id", c.resultRevisionId());
    o.put("checkpoint_type", c.type().wireName());
    o.put("checkpoint_label", c.label());
    o.set("tool_summary", countsToTree(c.toolSummary()));
    c.runId().ifPresent(r -> o.put("run_id", r));
    c.runOutcome().ifPresent(r -> o.put("run_outcome", r.wireName()));
    c.sourceCheckpointId().ifPresent(s -> o.put("source_checkpoint_id", s));
    c.sourceAppId().ifPresent(s -> o.put("source_app_id", s));
    o.put("conversation_length", c.conversationLength());
    o.set("stats", statsToTree(c.stats()));
    o.put("created_at", c.createdAt().toString());
    return o;
  }

  public Checkpoint checkpointFromTree(JsonNode o) {
    try {
      return checkpointFromTreeUnchecked(o);
    } catch (InvalidArgumentException e) {
      throw e;
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidArgumentException("malformed checkpoint: " + e.getMessage(), e);
    }
  }

  private Checkpoint checkpointFromTreeUnchecked(JsonNode o) {
    return new Checkpoint(
        text(o, "id"),
        text(o, "app_id"),
        optText(o, "parent_id"),
        text(o, "result_revision_id"),
        CheckpointType.fromWireName(text(o, "checkpoint_type")),
        optText(o, "checkpoint_label").orElse(""),
        countsFromTree(o.get("tool_summary")),
        optText(o, "run_id"),
        optText(o, "run_outcome").map(RunOutcome::fromWireName),
        optText(o, "source_checkpoint_id"),
        o.hasNonNull("conversation_length") ? o.get("conversation_length").asInt() : 0,
        statsFromTree(o.get("stats")),
        instant(o, "created_at"),
        optText(o, "source_app_id"));
  }

  public String toJson(Checkpoint checkpoint) {
    return write(checkpointToTree(checkpoint));
  }

  public Checkpoint checkpointFromJson(String json) {
    return checkpointFromTree(read(json));
  }

  public ObjectNode statsToTree(ChangeStats s) {
    ObjectNode o = NODES.objectNode();
    o.put("files_added", s.filesAdded());
    o.put("files_modified", s.filesModified());
    o.put("files_deleted", s.filesDeleted());
    o.put("files_renamed", s.filesRenamed());
    o.put("lines_added", s.linesAdded());
    o.put("lines_removed", s.linesRemoved());
    o.put("bytes_written", s.bytesWritten());
    return o;
  }

  public ChangeStats statsFromTree(JsonNode o) {
    if (o == null || o.isNull()) {
      return ChangeStats.EMPTY;
    }
    return new ChangeStats(o.path("files_added").asInt(), o.path("files_modified").asInt(), o.path("files_deleted").asInt(),
        o.path("files_renamed").asInt(), o.path("lines_added").asLong(), o.path("lines_removed").asLong(),
        o.path("bytes_written").asLong());
  }

  public ObjectNode fileChangeToTree(FileChange c) {
    ObjectNode o = NODES.objectNode();
    o.put("path", c.path());
    o.put("kind", c.kind().wireName());
    c.previousPath().ifPresent(p -> o.put("previous_path", p));
    o.put("bytes_before", c.bytesBefore());
    o.put("bytes_after", c.bytesAfter());
    o.put("lines_added", c.linesAdded());
    o.put("lines_removed", c.linesRemoved());
    o.put("binary", c.binary());
    return o;
  }

  public FileChange fileChangeFromTree(JsonNode o) {
    try {
      return fileChangeFromTreeUnchecked(o);
    } catch (InvalidArgumentException e) {
      throw e;
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidArgumentException("malformed file change: " + e.getMessage(), e);
    }
  }

  private FileChange fileChangeFromTreeUnchecked(JsonNode o) {
    return new FileChange(text(o, "path"), ChangeKind.fromWireName(text(o, "kind")), optText(o, "previous_path"),
        o.path("bytes_before").asLong(), o.path("bytes_after").asLong(), o.path("lines_added").asInt(),
        o.path("lines_removed").asInt(), o.path("binary").asBoolean());
  }

  // ---------------------------------------------------------------- conversation

  public ObjectNode messageToTree(ChatMessage message) {
    ObjectNode o = NODES.objectNode();
    if (message instanceof ChatMessage.User m) {
      o.put("role", "user");
      o.put("text", m.text());
      if (!m.attachments().isEmpty()) {
        o.set("attachments", attachmentsToTree(m.attachments()));
      }
    } else if (message instanceof ChatMessage.Assistant m) {
      o.put("role", "assistant");
      o.put("text", m.text());
      ArrayNode calls = o.putArray("tool_calls");
      for (ToolCall call : m.toolCalls()) {
        calls.addObject().put("id", call.id()).put("name", call.name()).put("arguments", call.arguments());
      }
      if (!m.reasoning().isEmpty()) {
        ArrayNode reasoning = o.putArray("reasoning");
        for (Reasoning r : m.reasoning()) {
          if (r instanceof Reasoning.Text t) {
            ObjectNode block = reasoning.addObject().put("type", "text").put("text", t.text());
            if (!t.signature().isEmpty()) {
              block.put("signature", t.signature());
            }
          } else if (r instanceof Reasoning.Redacted red) {
            reasoning.addObject().put("type", "redacted").put("data", red.data());
          }
        }
      }
    } else if (message instanceof ChatMessage.ToolResult m) {
      o.put("role", "tool");
      o.put("call_id", m.callId());
      o.put("tool_name", m.toolName());
      o.put("content", m.content());
      o.put("error", m.error());
    } else if (message instanceof ChatMessage.Note m) {
      o.put("role", "note");
      o.put("text", m.text());
    }
    return o;
  }

  public ChatMessage messageFromTree(JsonNode o) {
    String role = text(o, "role");
    return switch (role) {
      // Messages stored before attachments existed have none.
      case "user" -> new ChatMessage.User(text(o, "text"),
          o.hasNonNull("attachments") ? attachmentsFromTree(o.get("attachments")) : List.of());
      case "assistant" -> {
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode c : o.path("tool_calls")) {
          calls.add(new ToolCall(text(c, "id"), text(c, "name"), text(c, "arguments")));
        }
        // Messages stored before reasoning was kept have no "reasoning": they read as none. A kind
        // this version does not know is skipped rather than making the whole conversation unreadable.
        List<Reasoning> reasoning = new ArrayList<>();
        for (JsonNode r : o.path("reasoning")) {
          switch (optText(r, "type").orElse("")) {
            case "text" -> reasoning.add(new Reasoning.Text(text(r, "text"), optText(r, "signature").orElse("")));
            case "redacted" -> reasoning.add(new Reasoning.Redacted(text(r, "data")));
            default -> { }
          }
        }
        yield new ChatMessage.Assistant(text(o, "text"), calls, reasoning);
      }
      case "tool" -> new ChatMessage.ToolResult(text(o, "call_id"), text(o, "tool_name"), text(o, "content"), o.path("error").asBoolean());
      case "note" -> new ChatMessage.Note(text(o, "text"));
      default -> throw new InvalidArgumentException("unknown message role: " + role);
    };
  }

  public String toJson(ChatMessage message) {
    return write(messageToTree(message));
  }

  public ChatMessage messageFromJson(String json) {
    return messageFromTree(read(json));
  }

  // ---------------------------------------------------------------- chat input and attachments

  /**
   * Reads the body of a chat request: {@code {"message": "...", "attachments": [...]}} (attachments
   * optional). The one parser of it: the starter's endpoint and the studio both call it.
   *
   * @throws InvalidArgumentException (or {@code PathRefusedException}, {@code TooLargeException})
   *     naming the field and the attachment that is wrong
   */
  public ChatInput chatInputFromTree(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw new InvalidArgumentException("the request body must be a JSON object with a 'message'");
    }
    JsonNode message = body.get("message");
    if (message == null || message.isNull()) {
      throw new InvalidArgumentException("missing field 'message'");
    }
    if (!message.isTextual()) {
      throw new InvalidArgumentException("field 'message' must be a string");
    }
    JsonNode attachments = body.get("attachments");
    return new ChatInput(message.asText(),
        attachments == null || attachments.isNull() ? List.of() : attachmentsFromTree(attachments));
  }

  /** The JSON of a chat request (what {@link #chatInputFromTree} reads). */
  public ObjectNode chatInputToTree(ChatInput input) {
    ObjectNode o = NODES.objectNode();
    o.put("message", input.message());
    o.set("attachments", attachmentsToTree(input.attachments()));
    return o;
  }

  /** Reads an array of attachments; errors name the attachment's index ({@code attachments[2]}). */
  public List<Attachment> attachmentsFromTree(JsonNode array) {
    if (!array.isArray()) {
      throw new InvalidArgumentException("field 'attachments' must be an array");
    }
    if (array.size() > ChatInput.MAX_ATTACHMENTS) {
      throw new TooLargeException(array.size() + " attachments; at most " + ChatInput.MAX_ATTACHMENTS + " per message");
    }
    List<Attachment> out = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      try {
        out.add(attachmentFromTree(array.get(i)));
      } catch (ChatBuilderException e) {
        throw rethrown(e, "attachments[" + i + "]: " + e.getMessage());
      }
    }
    return out;
  }

  public ArrayNode attachmentsToTree(List<Attachment> attachments) {
    ArrayNode a = NODES.arrayNode();
    attachments.forEach(x -> a.add(attachmentToTree(x)));
    return a;
  }

  /**
   * Reads one attachment: {@code element} (file, line, column, tag, text?), {@code file} (path,
   * start_line?, end_line?, content?), {@code diagnostic} (kind, message, file?, line?, column?) or
   * {@code image} (media_type, name?, data). Fields it does not know are ignored; a missing or
   * mistyped field, an unknown type or kind, a hostile path, bad base64 or bytes that are not the
   * media type's are refused with what is wrong.
   */
  public Attachment attachmentFromTree(JsonNode o) {
    if (o == null || !o.isObject()) {
      throw new InvalidArgumentException("an attachment must be a JSON object with a 'type'");
    }
    String type = text(o, "type");
    return switch (type) {
      case Attachment.ElementSelection.TYPE -> new Attachment.ElementSelection(text(o, "file"), intValue(o, "line"),
          intValue(o, "column"), text(o, "tag"), optString(o, "text"));
      case Attachment.FileReference.TYPE -> new Attachment.FileReference(text(o, "path"), optInt(o, "start_line"),
          optInt(o, "end_line"), optString(o, "content"));
      case Attachment.DiagnosticReport.TYPE -> {
        String kind = text(o, "kind");
        PreviewDiagnostic.Kind k;
        try {
          k = PreviewDiagnostic.Kind.fromWireName(kind);
        } catch (IllegalArgumentException e) {
          throw new InvalidArgumentException("unknown diagnostic kind '" + kind + "'; use one of "
              + java.util.Arrays.stream(PreviewDiagnostic.Kind.values()).map(PreviewDiagnostic.Kind::wireName)
                  .collect(java.util.stream.Collectors.joining(", ")));
        }
        yield new Attachment.DiagnosticReport(k, text(o, "message"), optString(o, "file"), optInt(o, "line"),
            optInt(o, "column"));
      }
      case Attachment.Image.TYPE -> new Attachment.Image(text(o, "media_type"), optString(o, "name"), text(o, "data"));
      default -> throw new InvalidArgumentException("unknown attachment type '" + type + "'; use one of element, file, "
          + "diagnostic, image");
    };
  }

  public ObjectNode attachmentToTree(Attachment attachment) {
    ObjectNode o = NODES.objectNode();
    o.put("type", attachment.type());
    if (attachment instanceof Attachment.ElementSelection e) {
      o.put("file", e.file());
      o.put("line", e.line());
      o.put("column", e.column());
      o.put("tag", e.tag());
      e.text().ifPresent(v -> o.put("text", v));
    } else if (attachment instanceof Attachment.FileReference f) {
      o.put("path", f.path());
      f.startLine().ifPresent(v -> o.put("start_line", v));
      f.endLine().ifPresent(v -> o.put("end_line", v));
      f.content().ifPresent(v -> o.put("content", v));
    } else if (attachment instanceof Attachment.DiagnosticReport d) {
      o.put("kind", d.kind().wireName());
      o.put("message", d.message());
      d.file().ifPresent(v -> o.put("file", v));
      d.line().ifPresent(v -> o.put("line", v));
      d.column().ifPresent(v -> o.put("column", v));
    } else if (attachment instanceof Attachment.Image i) {
      o.put("media_type", i.mediaType());
      i.name().ifPresent(v -> o.put("name", v));
      o.put("data", i.data());
    }
    return o;
  }

  /** The same kind of exception with a message that says where. */
  private static ChatBuilderException rethrown(ChatBuilderException e, String message) {
    if (e instanceof TooLargeException) {
      return new TooLargeException(message, e);
    }
    if (e instanceof PathRefusedException) {
      return new PathRefusedException(message, e);
    }
    return new InvalidArgumentException(message, e);
  }

  private static Optional<String> optString(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw new InvalidArgumentException("field '" + field + "' must be a string");
    }
    return Optional.of(v.asText());
  }

  private static OptionalInt optInt(JsonNode o, String field) {
    JsonNode v = o.get(field);
    return v == null || v.isNull() ? OptionalInt.empty() : OptionalInt.of(intValue(o, field));
  }

  // ---------------------------------------------------------------- helpers

  /** Usage; the prompt-cache counts (parts of {@code input_tokens}) are left out when zero. */
  public ObjectNode usageToTree(Usage usage) {
    ObjectNode o = NODES.objectNode();
    o.put("input_tokens", usage.inputTokens());
    o.put("output_tokens", usage.outputTokens());
    if (usage.cacheReadTokens() > 0) {
      o.put("cache_read_tokens", usage.cacheReadTokens());
    }
    if (usage.cacheWriteTokens() > 0) {
      o.put("cache_write_tokens", usage.cacheWriteTokens());
    }
    return o;
  }

  public Usage usageFromTree(JsonNode o) {
    if (o == null || o.isNull()) {
      return Usage.ZERO;
    }
    return new Usage(o.path("input_tokens").asLong(), o.path("output_tokens").asLong(), o.path("cache_read_tokens").asLong(),
        o.path("cache_write_tokens").asLong());
  }

  private static ObjectNode countsToTree(Map<String, Integer> counts) {
    ObjectNode o = NODES.objectNode();
    new TreeMap<>(counts).forEach(o::put);
    return o;
  }

  private static Map<String, Integer> countsFromTree(JsonNode o) {
    Map<String, Integer> counts = new TreeMap<>();
    if (o != null && o.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> fields = o.fields();
      while (fields.hasNext()) {
        Map.Entry<String, JsonNode> f = fields.next();
        counts.put(f.getKey(), f.getValue().asInt());
      }
    }
    return counts;
  }

  private static JsonNode required(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      throw new InvalidArgumentException("missing field '" + field + "'");
    }
    return v;
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = required(o, field);
    if (!v.isTextual()) {
      throw new InvalidArgumentException("field '" + field + "' must be a string");
    }
    return v.asText();
  }

  /** A JSON object of strings (absent or null: empty), e.g. a run's attributes. */
  private static Map<String, String> stringMap(JsonNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return Map.of();
    }
    if (!v.isObject()) {
      throw new InvalidArgumentException("field '" + field + "' must be an object of strings");
    }
    Map<String, String> out = new java.util.TreeMap<>();
    v.fields().forEachRemaining(e -> {
      if (!e.getValue().isTextual()) {
        throw new InvalidArgumentException("field '" + field + "." + e.getKey() + "' must be a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    });
    return out;
  }

  private static Optional<String> optText(JsonNode o, String field) {
    JsonNode v = o.get(field);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asText());
  }

  private static long longValue(JsonNode o, String field) {
    JsonNode v = required(o, field);
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new InvalidArgumentException("field '" + field + "' must be an integer");
    }
    return v.asLong();
  }

  private static int intValue(JsonNode o, String field) {
    long v = longValue(o, field);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new InvalidArgumentException("field '" + field + "' is out of range");
    }
    return (int) v;
  }

  private static Instant instant(JsonNode o, String field) {
    try {
      return Instant.parse(text(o, field));
    } catch (DateTimeParseException e) {
      throw new InvalidArgumentException("field '" + field + "' is not an ISO-8601 instant", e);
    }
  }

  private static Iterable<JsonNode> array(JsonNode o, String field) {
    JsonNode v = required(o, field);
    if (!v.isArray()) {
      throw new InvalidArgumentException("field '" + field + "' must be an array");
    }
    return v;
  }
}
