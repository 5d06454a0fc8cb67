package io.chatbuilder.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.runtime.DraftState;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What happens to an app, on its one app stream (DESIGN §3.1 "The app stream"): runs starting and
 * ending, every checkpoint created (by runs, undo, redo, restore, revert-file, outside edits, forks,
 * recovery), draft state changes, publish progress and preview errors. Every event carries its app,
 * a sequence number ({@code seq}, gapless from 1 within the app, assigned by the {@link AppEventLog}
 * when it is appended; 0 before that) and a timestamp. On the wire it is JSON with a snake_case
 * {@code type} ({@link io.chatbuilder.core.json.JsonCodec}); types this version does not know are
 * read as {@link Unknown}, so old clients survive new ones.
 */
public sealed interface AppEvent {
  /** The snake_case wire name of this event's type. */
  String type();

  String appId();

  /** Position in the app's stream, from 1; 0 while not yet appended. */
  long seq();

  Instant at();

  /** This event numbered {@code seq}: the log calls it when it appends. */
  AppEvent withSeq(long seq);

  /** A run began. */
  record RunStarted(String appId, long seq, Instant at, String runId, String message) implements AppEvent {
    public static final String TYPE = "run_started";

    public RunStarted {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(runId, "runId == null");
      Objects.requireNonNull(message, "message == null");
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public RunStarted withSeq(long seq) {
      return new RunStarted(appId, seq, at, runId, message);
    }
  }

  /** A run ended (its terminal event went out), also one a recovering host ended for a dead one. */
  record RunEnded(String appId, long seq, Instant at, String runId, RunOutcome outcome, Optional<String> error,
      Optional<String> errorCode) implements AppEvent {
    public static final String TYPE = "run_ended";

    public RunEnded {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(runId, "runId == null");
      Objects.requireNonNull(outcome, "outcome == null");
      Objects.requireNonNull(error, "error == null");
      Objects.requireNonNull(errorCode, "errorCode == null");
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public RunEnded withSeq(long seq) {
      return new RunEnded(appId, seq, at, runId, outcome, error, errorCode);
    }
  }

  /** A checkpoint was recorded: its type says by what (agent run, undo, restore, outside edits, ...). */
  record CheckpointCreated(String appId, long seq, Instant at, Checkpoint checkpoint) implements AppEvent {
    public static final String TYPE = "checkpoint_created";

    public CheckpointCreated {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(checkpoint, "checkpoint == null");
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public CheckpointCreated withSeq(long seq) {
      return new CheckpointCreated(appId, seq, at, checkpoint);
    }
  }

  /** The draft dev server's state changed. */
  record DraftStateChanged(String appId, long seq, Instant at, DraftState state, Optional<String> previewUrl,
      Optional<String> error) implements AppEvent {
    public static final String TYPE = "draft_state";

    public DraftStateChanged {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(state, "state == null");
      Objects.requireNonNull(previewUrl, "previewUrl == null");
      Objects.requireNonNull(error, "error == null");
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public DraftStateChanged withSeq(long seq) {
      return new DraftStateChanged(appId, seq, at, state, previewUrl, error);
    }
  }

  /** A progress line while the draft starts ("installing dependencies"). */
  record DraftProgress(String appId, long seq, Instant at, String message) implements AppEvent {
    public static final String TYPE = "draft_progress";

    public DraftProgress {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(message, "message == null");
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public DraftProgress withSeq(long seq) {
      return new DraftProgress(appId, seq, at, message);
    }
  }

  /** A publish build of a checkpoint began. */
  record PublishStarted(String appId, long seq, Instant at, String checkpointId) implements AppEvent {
    public static final String TYPE = "publish_started";

    public PublishStarted {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(checkpointId, "checkpointId == null");
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public PublishStarted withSeq(long seq) {
      return new PublishStarted(appId, seq, at, checkpointId);
    }
  }

  /** A progress line of a publish build. */
  record PublishProgress(String appId, long seq, Instant at, String checkpointId, String message) implements AppEvent {
    public static final String TYPE = "publish_progress";

    public PublishProgress {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(checkpointId, "checkpointId == null");
      Objects.requireNonNull(message, "message == null");
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public PublishProgress withSeq(long seq) {
      return new PublishProgress(appId, seq, at, checkpointId, message);
    }
  }

  /**
   * A publish build ended. {@code publishId} is empty when the publisher failed before it recorded
   * one (an exception rather than a failed build).
   */
  record PublishFinished(String appId, long seq, Instant at, String checkpointId, Optional<String> publishId,
      boolean success, Optional<String> error, Optional<String> outputLocation) implements AppEvent {
    public static final String TYPE = "publish_finished";

    public PublishFinished {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(checkpointId, "checkpointId == null");
      Objects.requireNonNull(publishId, "publishId == null");
      Objects.requireNonNull(error, "error == null");
      Objects.requireNonNull(outputLocation, "outputLocation == null");
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public PublishFinished withSeq(long seq) {
      return new PublishFinished(appId, seq, at, checkpointId, publishId, success, error, outputLocation);
    }
  }

  /**
   * An error in the draft preview (compile error, uncaught error, unhandled rejection,
   * {@code console.error}). {@code line} and {@code column} are 1-based, 0 when unknown;
   * {@code count} is how often the same error was seen (deduplicated).
   */
  record PreviewError(String appId, long seq, Instant at, String kind, String message, Optional<String> file, int line,
      int column, int count) implements AppEvent {
    public static final String TYPE = "preview_error";

    public PreviewError {
      requireHeader(appId, seq, at);
      Objects.requireNonNull(kind, "kind == null");
      Objects.requireNonNull(message, "message == null");
      Objects.requireNonNull(file, "file == null");
      if (line < 0 || column < 0 || count < 1) {
        throw new IllegalArgumentException("line and column must be >= 0 and count >= 1");
      }
    }

    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public PreviewError withSeq(long seq) {
      return new PreviewError(appId, seq, at, kind, message, file, line, column, count);
    }
  }

  /** An event of a type this version does not know, kept as its JSON (re-sent as it came). */
  record Unknown(String type, String appId, long seq, Instant at, JsonNode json) implements AppEvent {
    public Unknown {
      Objects.requireNonNull(type, "type == null");
      requireHeader(appId, seq, at);
      json = Objects.requireNonNull(json, "json == null").deepCopy();
    }

    @Override
    public JsonNode json() {
      return json.deepCopy();
    }

    @Override
    public Unknown withSeq(long seq) {
      JsonNode copy = json.deepCopy();
      if (copy instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
        o.put("seq", seq);
      }
      return new Unknown(type, appId, seq, at, copy);
    }
  }

  private static void requireHeader(String appId, long seq, Instant at) {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(at, "at == null");
    if (seq < 0) {
      throw new IllegalArgumentException("seq must be >= 0");
    }
  }
}
