package io.chatbuilder.core;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.model.Usage;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How a run ended.
 *
 * @param checkpoint the checkpoint the run recorded, empty if it changed no files
 * @param steps model turns taken
 * @param error the failure message for failed and cancelled runs
 */
public record RunResult(
    String appId,
    String runId,
    RunOutcome outcome,
    Optional<Checkpoint> checkpoint,
    Usage usage,
    int steps,
    Map<String, Integer> toolSummary,
    Optional<String> error,
    Optional<ErrorCode> errorCode) {
  public RunResult {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(runId, "runId == null");
    Objects.requireNonNull(outcome, "outcome == null");
    Objects.requireNonNull(checkpoint, "checkpoint == null");
    Objects.requireNonNull(usage, "usage == null");
    toolSummary = Map.copyOf(toolSummary);
    Objects.requireNonNull(error, "error == null");
    Objects.requireNonNull(errorCode, "errorCode == null");
  }
}
