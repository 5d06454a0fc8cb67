package io.chatbuilder.core.checkpoint;

import java.time.Instant;
import java.util.Objects;

/**
 * Everything a store needs to fork: the new app's first checkpoint, of type
 * {@link CheckpointType#FORK}, whose revision is the source checkpoint's revision. A store shares
 * that revision and its blobs (nothing is copied) and writes only the new checkpoint and head, all
 * or nothing. It refuses a target app that already has checkpoints
 * ({@link io.chatbuilder.core.ConflictException}) and a source checkpoint that {@code sourceAppId}
 * does not have ({@link io.chatbuilder.core.NotFoundException}).
 *
 * @param appId the new app
 * @param sourceAppId the app forked from
 * @param sourceCheckpointId the checkpoint of {@code sourceAppId} whose files the new app starts with
 * @param label the new checkpoint's label (its description, not a {@link CheckpointLabels} label)
 * @param conversationLength the new app's conversation length when forked
 * @param stats the source files counted as added (what the fork wrote into the new sandbox)
 */
public record ForkDraft(
    String appId,
    String sourceAppId,
    String sourceCheckpointId,
    String label,
    int conversationLength,
    ChangeStats stats,
    Instant createdAt) {

  public ForkDraft {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(sourceAppId, "sourceAppId == null");
    Objects.requireNonNull(sourceCheckpointId, "sourceCheckpointId == null");
    Objects.requireNonNull(label, "label == null");
    Objects.requireNonNull(stats, "stats == null");
    Objects.requireNonNull(createdAt, "createdAt == null");
    if (conversationLength < 0) {
      throw new IllegalArgumentException("conversationLength < 0");
    }
  }

  /** The checkpoint this draft becomes once a store assigned its id; its revision is the source's. */
  public Checkpoint toCheckpoint(String id, String sourceRevisionId) {
    return new Checkpoint(id, appId, java.util.Optional.empty(), sourceRevisionId, CheckpointType.FORK, label,
        java.util.Map.of(), java.util.Optional.empty(), java.util.Optional.empty(),
        java.util.Optional.of(sourceCheckpointId), conversationLength, stats, createdAt,
        java.util.Optional.of(sourceAppId));
  }
}
