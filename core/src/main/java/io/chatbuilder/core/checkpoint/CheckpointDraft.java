package io.chatbuilder.core.checkpoint;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything a store needs to append one checkpoint atomically: the metadata, the head the caller
 * expects (compare-and-set), the revision it builds on and only the files that changed against it.
 *
 * <p>A store writes the new blobs, the new revision ({@code baseRevisionId} plus {@code changes})
 * and the checkpoint, and moves the app's head, all or nothing. If the app's head is not
 * {@code expectedHeadId} it throws {@link io.chatbuilder.core.ConflictException} and writes nothing.
 *
 * @param expectedHeadId the head the caller saw; empty means the app must have no checkpoint yet
 * @param baseRevisionId the revision the changes apply to; empty means an empty file set
 * @param changes path to new content, or to {@link Optional#empty()} for a deletion
 */
public record CheckpointDraft(
    String appId,
    Optional<String> expectedHeadId,
    Optional<String> baseRevisionId,
    Map<String, Optional<byte[]>> changes,
    CheckpointType type,
    String label,
    Map<String, Integer> toolSummary,
    Optional<String> runId,
    Optional<RunOutcome> runOutcome,
    Optional<String> sourceCheckpointId,
    int conversationLength,
    ChangeStats stats,
    Instant createdAt) {

  public CheckpointDraft {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(expectedHeadId, "expectedHeadId == null");
    Objects.requireNonNull(baseRevisionId, "baseRevisionId == null");
    changes = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(changes, "changes == null")));
    Objects.requireNonNull(type, "type == null");
    Objects.requireNonNull(label, "label == null");
    toolSummary = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(toolSummary, "toolSummary == null")));
    Objects.requireNonNull(runId, "runId == null");
    Objects.requireNonNull(runOutcome, "runOutcome == null");
    Objects.requireNonNull(sourceCheckpointId, "sourceCheckpointId == null");
    Objects.requireNonNull(stats, "stats == null");
    Objects.requireNonNull(createdAt, "createdAt == null");
  }

  /** The checkpoint this draft becomes once a store assigned its id and revision. */
  public Checkpoint toCheckpoint(String id, String resultRevisionId) {
    return new Checkpoint(id, appId, expectedHeadId, resultRevisionId, type, label, toolSummary,
        runId, runOutcome, sourceCheckpointId, conversationLength, stats, createdAt);
  }
}
