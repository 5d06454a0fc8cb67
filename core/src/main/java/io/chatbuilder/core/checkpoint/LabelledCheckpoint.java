package io.chatbuilder.core.checkpoint;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/** A checkpoint and its labels (see {@link CheckpointLabels}), as listed and searched. */
public record LabelledCheckpoint(Checkpoint checkpoint, SortedSet<String> labels) {
  public LabelledCheckpoint {
    Objects.requireNonNull(checkpoint, "checkpoint == null");
    labels = Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(labels, "labels == null")));
  }

  public boolean bookmarked() {
    return labels.contains(CheckpointLabels.BOOKMARK);
  }
}
