package io.chatbuilder.core.checkpoint;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/** An immutable set of files: relative path to content reference, sorted by path. */
public record Revision(String id, SortedMap<String, FileRef> files) {
  public Revision {
    Objects.requireNonNull(id, "id == null");
    files = Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(files, "files == null")));
  }
}
