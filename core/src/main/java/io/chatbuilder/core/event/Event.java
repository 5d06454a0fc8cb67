package io.chatbuilder.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.FileChange;
import io.chatbuilder.core.model.Usage;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a run streams to the UI (DESIGN §3.1). Every event carries its app, its run, a sequence
 * number ({@code seq}, gapless from 1 within a run) and a timestamp. On the wire it is JSON with a
 * snake_case {@code type}; see {@link io.chatbuilder.core.json.JsonCodec}. Types this version does not know are read as
 * {@link Unknown}, so old clients survive new event types.
 *
 * <p>A run emits {@link RunStarted} first and exactly one terminal event last: {@link RunCompleted},
 * {@link RunFailed} or {@link RunCancelled}.
 */
public sealed interface Event {
  /** The snake_case wire name of this event's type. */
  String type();

  String appId();

  String runId();

  long seq();

  Instant at();

  /** Whether this event ends its run. */
  default boolean terminal() {
    return this instanceof RunCompleted || this instanceof RunFailed || this instanceof RunCancelled;
  }

  /** A run began with the person's message. */
  /**
   * @param principal who started the run, when someone authenticated did (absent for an anonymous caller)
   * @param attributes what the host attached to the run (its {@code RunRequest} attributes)
   */
  record RunStarted(String appId, String runId, long seq, Instant at, String message, String model,
      java.util.Optional<String> principal, java.util.Map<String, String> attributes) implements Event {
    public static final String TYPE = "run_started";

    public RunStarted {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(message, "message == null");
      Objects.requireNonNull(model, "model == null");
      Objects.requireNonNull(principal, "principal == null");
      attributes = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(Objects.requireNonNull(attributes, "attributes == null")));
    }

    /** A run started by nobody in particular, without attributes. */
    public RunStarted(String appId, String runId, long seq, Instant at, String message, String model) {
      this(appId, runId, seq, at, message, model, java.util.Optional.empty(), java.util.Map.of());
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** A chunk of assistant text as it streams. */
  record AssistantDelta(String appId, String runId, long seq, Instant at, int step, String text) implements Event {
    public static final String TYPE = "assistant_delta";

    public AssistantDelta {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(text, "text == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /**
   * A chunk of the model's reasoning (thinking) as it streams. Never part of the answer: it is not
   * in {@link AssistantDelta} or {@link AssistantMessage}.
   */
  record ReasoningDelta(String appId, String runId, long seq, Instant at, int step, String text) implements Event {
    public static final String TYPE = "reasoning_delta";

    public ReasoningDelta {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(text, "text == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /**
   * A fragment of a tool call's argument text as the model writes it, before {@link ToolStarted}.
   * Fragments are coalesced (a bounded number of events per second and per KiB for each call).
   * {@code offset} is where {@code fragment} starts in the call's argument text, in UTF-16 code
   * units (as JavaScript strings count), so a client that missed nothing can check it appends in
   * order. The first event of a call has offset 0 and may have an empty fragment: the model named
   * the tool. The text is usually not valid JSON until the call is complete; {@link ToolStarted}
   * carries the parsed arguments.
   */
  record ToolInputDelta(String appId, String runId, long seq, Instant at, int step, String callId, String toolName,
      long offset, String fragment) implements Event {
    public static final String TYPE = "tool_input_delta";

    public ToolInputDelta {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(callId, "callId == null");
      Objects.requireNonNull(toolName, "toolName == null");
      Objects.requireNonNull(fragment, "fragment == null");
      if (offset < 0) {
        throw new IllegalArgumentException("offset must be >= 0");
      }
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** The full assistant text of one model turn, once the turn ended. */
  record AssistantMessage(String appId, String runId, long seq, Instant at, int step, String text, Usage usage) implements Event {
    public static final String TYPE = "assistant_message";

    public AssistantMessage {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(text, "text == null");
      Objects.requireNonNull(usage, "usage == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /**
   * A tool call began. {@code arguments} is the parsed JSON when it parsed, otherwise a JSON string
   * holding the raw text the model sent.
   */
  record ToolStarted(String appId, String runId, long seq, Instant at, String callId, String toolName, JsonNode arguments)
      implements Event {
    public static final String TYPE = "tool_started";

    public ToolStarted {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(callId, "callId == null");
      Objects.requireNonNull(toolName, "toolName == null");
      arguments = Objects.requireNonNull(arguments, "arguments == null").deepCopy();
    }

    /** A copy: events are shared by every subscriber and the replay log. */
    @Override
    public JsonNode arguments() {
      return arguments.deepCopy();
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** A tool call succeeded; {@code summary} is a one-line description of its result. */
  record ToolCompleted(String appId, String runId, long seq, Instant at, String callId, String toolName, String summary, long durationMs)
      implements Event {
    public static final String TYPE = "tool_completed";

    public ToolCompleted {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(callId, "callId == null");
      Objects.requireNonNull(toolName, "toolName == null");
      Objects.requireNonNull(summary, "summary == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** A tool call failed: invalid arguments, an unknown tool, a refused path or command, an error. */
  record ToolFailed(String appId, String runId, long seq, Instant at, String callId, String toolName, String error, String errorCode, long durationMs)
      implements Event {
    public static final String TYPE = "tool_failed";

    public ToolFailed {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(callId, "callId == null");
      Objects.requireNonNull(toolName, "toolName == null");
      Objects.requireNonNull(error, "error == null");
      Objects.requireNonNull(errorCode, "errorCode == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** Files changed (by a tool, or found by a rescan after a command). */
  record FileChanges(String appId, String runId, long seq, Instant at, List<FileChange> changes) implements Event {
    public static final String TYPE = "file_changes";

    public FileChanges {
      requireHeader(appId, runId, seq, at);
      changes = List.copyOf(changes);
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** A checkpoint was recorded. */
  record CheckpointCreated(String appId, String runId, long seq, Instant at, Checkpoint checkpoint) implements Event {
    public static final String TYPE = "checkpoint_created";

    public CheckpointCreated {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(checkpoint, "checkpoint == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** Free-form progress, such as "installing dependencies". */
  record Status(String appId, String runId, long seq, Instant at, String message) implements Event {
    public static final String TYPE = "status";

    public Status {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(message, "message == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** The run ended normally. */
  record RunCompleted(String appId, String runId, long seq, Instant at, int steps, Usage usage, Map<String, Integer> toolSummary)
      implements Event {
    public static final String TYPE = "run_completed";

    public RunCompleted {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(usage, "usage == null");
      toolSummary = Map.copyOf(toolSummary);
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** The run failed; {@code errorCode} is an {@link io.chatbuilder.core.ErrorCode} wire name. */
  record RunFailed(String appId, String runId, long seq, Instant at, String error, String errorCode) implements Event {
    public static final String TYPE = "run_failed";

    public RunFailed {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(error, "error == null");
      Objects.requireNonNull(errorCode, "errorCode == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** The run was cancelled. */
  record RunCancelled(String appId, String runId, long seq, Instant at, String reason) implements Event {
    public static final String TYPE = "run_cancelled";

    public RunCancelled {
      requireHeader(appId, runId, seq, at);
      Objects.requireNonNull(reason, "reason == null");
    }

    @Override
    public String type() {
      return TYPE;
    }
  }

  /** An event of a type this version does not know; {@code json} is the whole event as received. */
  record Unknown(String type, String appId, String runId, long seq, Instant at, JsonNode json) implements Event {
    public Unknown {
      Objects.requireNonNull(type, "type == null");
      requireHeader(appId, runId, seq, at);
      json = Objects.requireNonNull(json, "json == null").deepCopy();
    }

    /** A copy: events are shared by every subscriber and the replay log. */
    @Override
    public JsonNode json() {
      return json.deepCopy();
    }
  }

  private static void requireHeader(String appId, String runId, long seq, Instant at) {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(runId, "runId == null");
    Objects.requireNonNull(at, "at == null");
    if (seq < 1) {
      throw new IllegalArgumentException("seq must be >= 1");
    }
  }
}
