package io.chatbuilder.core.sandbox;

import java.util.Objects;

/** A listed file or directory. Directories have size 0. */
public record FileEntry(String path, Kind kind, long size) {
  public FileEntry {
    Objects.requireNonNull(path, "path == null");
    Objects.requireNonNull(kind, "kind == null");
  }

  public enum Kind {
    FILE,
    DIRECTORY
  }
}
