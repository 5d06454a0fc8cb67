package io.chatbuilder.core.sandbox;

import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Paths that may differ from the last acknowledged state, and the generation of the scan. The set
 * may hold paths that did not really change (callers compare content); it never misses one that did.
 * Acknowledging the generation ({@link Sandbox#acknowledgeChanges}) forgets exactly these paths,
 * not changes recorded after the scan.
 */
public record ChangeScan(long generation, Set<String> paths) {
  public ChangeScan {
    paths = Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(paths, "paths == null")));
  }
}
