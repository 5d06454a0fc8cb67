package io.chatbuilder.core.checkpoint;

import java.util.Objects;
import java.util.Optional;

/**
 * One changed file: its path, what happened, where it came from for renames, its size before and
 * after, and the lines added and removed (zero for binary files).
 */
public record FileChange(
    String path,
    ChangeKind kind,
    Optional<String> previousPath,
    long bytesBefore,
    long bytesAfter,
    int linesAdded,
    int linesRemoved,
    boolean binary) {

  public FileChange {
    Objects.requireNonNull(path, "path == null");
    Objects.requireNonNull(kind, "kind == null");
    Objects.requireNonNull(previousPath, "previousPath == null");
    if (kind == ChangeKind.RENAMED && previousPath.isEmpty()) {
      throw new IllegalArgumentException("a rename needs previousPath");
    }
  }
}
