package io.chatbuilder.core.checkpoint;

import java.util.List;

/** Totals of a set of {@link FileChange}s, as recorded on a checkpoint. */
public record ChangeStats(
    int filesAdded,
    int filesModified,
    int filesDeleted,
    int filesRenamed,
    long linesAdded,
    long linesRemoved,
    long bytesWritten) {

  public static final ChangeStats EMPTY = new ChangeStats(0, 0, 0, 0, 0, 0, 0);

  public static ChangeStats of(List<FileChange> changes) {
    int added = 0;
    int modified = 0;
    int deleted = 0;
    int renamed = 0;
    long linesAdded = 0;
    long linesRemoved = 0;
    long bytes = 0;
    for (FileChange change : changes) {
      switch (change.kind()) {
        case ADDED -> added++;
        case MODIFIED -> modified++;
        case DELETED -> deleted++;
        case RENAMED -> renamed++;
      }
      linesAdded += change.linesAdded();
      linesRemoved += change.linesRemoved();
      if (change.kind() != ChangeKind.DELETED) {
        bytes += change.bytesAfter();
      }
    }
    return new ChangeStats(added, modified, deleted, renamed, linesAdded, linesRemoved, bytes);
  }

  public int filesChanged() {
    return filesAdded + filesModified + filesDeleted + filesRenamed;
  }
}
