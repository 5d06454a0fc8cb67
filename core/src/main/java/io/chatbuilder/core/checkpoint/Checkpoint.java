package io.chatbuilder.core.checkpoint;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An immutable point in an app's append-only history (DESIGN §3.2).
 *
 * @param id store-assigned identifier, unique within the app
 * @param parentId the previous head, empty only for the first checkpoint of an app
 * @param resultRevisionId the immutable set of files this checkpoint records
 * @param toolSummary tool name to number of calls, for checkpoints a run made
 * @param runId the run that made it, for {@code agent_run} checkpoints
 * @param runOutcome how that run ended
 * @param sourceCheckpointId the checkpoint undone, redone, restored, or reverted from; for a
 *     {@code fork}, the checkpoint of {@code sourceAppId} it was forked from
 * @param conversationLength number of conversation messages when it was made, so a restore can
 *     rewind the conversation with the files
 * @param stats totals of the changes against the parent's files
 * @param sourceAppId for a {@code fork} checkpoint, the app it was forked from; empty otherwise
 */
public record Checkpoint(
    String id,
    String appId,
    Optional<String> parentId,
    String resultRevisionId,
    CheckpointType type,
    String label,
    Map<String, Integer> toolSummary,
    Optional<String> runId,
    Optional<RunOutcome> runOutcome,
    Optional<String> sourceCheckpointId,
    int conversationLength,
    ChangeStats stats,
    Instant createdAt,
    Optional<String> sourceAppId) {

  /** A checkpoint that is not a fork (no {@link #sourceAppId()}). */
  public Checkpoint(String id, String appId, Optional<String> parentId, String resultRevisionId, CheckpointType type,
      String label, Map<String, Integer> toolSummary, Optional<String> runId, Optional<RunOutcome> runOutcome,
      Optional<String> sourceCheckpointId, int conversationLength, ChangeStats stats, Instant createdAt) {
    this(id, appId, parentId, resultRevisionId, type, label, toolSummary, runId, runOutcome, sourceCheckpointId,
        conversationLength, stats, createdAt, Optional.empty());
  }

  public Checkpoint {
    Objects.requireNonNull(id, "id == null");
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(parentId, "parentId == null");
    Objects.requireNonNull(resultRevisionId, "resultRevisionId == null");
    Objects.requireNonNull(type, "type == null");
    Objects.requireNonNull(label, "label == null");
    toolSummary = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(toolSummary, "toolSummary == null")));
    Objects.requireNonNull(runId, "runId == null");
    Objects.requireNonNull(runOutcome, "runOutcome == null");
    Objects.requireNonNull(sourceCheckpointId, "sourceCheckpointId == null");
    Objects.requireNonNull(stats, "stats == null");
    Objects.requireNonNull(createdAt, "createdAt == null");
    Objects.requireNonNull(sourceAppId, "sourceAppId == null");
    if (conversationLength < 0) {
      throw new IllegalArgumentException("conversationLength < 0");
    }
  }
}
