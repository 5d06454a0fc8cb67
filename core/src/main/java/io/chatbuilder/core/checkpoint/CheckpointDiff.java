package io.chatbuilder.core.checkpoint;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What differs between two checkpoints' files, one entry per changed path, sorted by path. */
public record CheckpointDiff(Checkpoint from, Checkpoint to, List<FileDiff> files) {
  public CheckpointDiff {
    Objects.requireNonNull(from, "from == null");
    Objects.requireNonNull(to, "to == null");
    files = List.copyOf(files);
  }

  /**
   * One changed file and, for text files of reasonable size, its unified diff ({@code diff -u}
   * format with 3 lines of context).
   */
  public record FileDiff(FileChange change, Optional<String> unifiedDiff) {
    public FileDiff {
      Objects.requireNonNull(change, "change == null");
      Objects.requireNonNull(unifiedDiff, "unifiedDiff == null");
    }
  }
}
