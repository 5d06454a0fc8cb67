package io.chatbuilder.core.internal;

import io.chatbuilder.core.checkpoint.ChangeKind;
import io.chatbuilder.core.checkpoint.FileChange;
import io.chatbuilder.core.sandbox.FileContent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/** Computes {@link FileChange}s from before/after contents. Not API. */
public final class Changes {
  private Changes() {}

  /** The change from {@code before} to {@code after} (empty = absent), or empty if they are equal. */
  public static Optional<FileChange> of(String path, Optional<byte[]> before, Optional<byte[]> after) {
    if (before.isEmpty() && after.isEmpty()) {
      return Optional.empty();
    }
    if (before.isPresent() && after.isPresent() && Arrays.equals(before.get(), after.get())) {
      return Optional.empty();
    }
    ChangeKind kind = before.isEmpty() ? ChangeKind.ADDED : after.isEmpty() ? ChangeKind.DELETED : ChangeKind.MODIFIED;
    // Optional.map would turn "binary" (null) into "absent", so decode explicitly.
    String beforeText = before.isPresent() ? FileContent.decodeText(before.get()) : "";
    String afterText = after.isPresent() ? FileContent.decodeText(after.get()) : "";
    boolean binary = beforeText == null || afterText == null;
    int added = 0;
    int removed = 0;
    if (!binary) {
      int[] counts = LineDiff.counts(beforeText, afterText);
      added = counts[0];
      removed = counts[1];
    }
    return Optional.of(new FileChange(path, kind, Optional.empty(), before.map(b -> (long) b.length).orElse(0L),
        after.map(b -> (long) b.length).orElse(0L), added, removed, binary));
  }

  /**
   * Computes changes for many paths and pairs a deleted file with an added one of identical content
   * into a single rename.
   */
  public static List<FileChange> between(SortedMap<String, Optional<byte[]>> before, SortedMap<String, Optional<byte[]>> after) {
    List<FileChange> changes = new ArrayList<>();
    Map<String, byte[]> deleted = new HashMap<>();
    Map<String, byte[]> added = new HashMap<>();
    for (Map.Entry<String, Optional<byte[]>> e : after.entrySet()) {
      Optional<byte[]> old = before.getOrDefault(e.getKey(), Optional.empty());
      Optional<FileChange> change = of(e.getKey(), old, e.getValue());
      if (change.isPresent()) {
        changes.add(change.get());
        if (change.get().kind() == ChangeKind.DELETED) {
          deleted.put(e.getKey(), old.get());
        } else if (change.get().kind() == ChangeKind.ADDED) {
          added.put(e.getKey(), e.getValue().get());
        }
      }
    }
    if (deleted.isEmpty() || added.isEmpty()) {
      return changes;
    }
    Map<String, String> renamedTo = new TreeMap<>();
    for (Map.Entry<String, byte[]> a : new TreeMap<>(added).entrySet()) {
      Iterator<Map.Entry<String, byte[]>> it = new TreeMap<>(deleted).entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<String, byte[]> d = it.next();
        if (d.getValue().length > 0 && Arrays.equals(d.getValue(), a.getValue())) {
          renamedTo.put(d.getKey(), a.getKey());
          deleted.remove(d.getKey());
          break;
        }
      }
    }
    if (renamedTo.isEmpty()) {
      return changes;
    }
    Map<String, String> renamedFrom = new HashMap<>();
    renamedTo.forEach((from, to) -> renamedFrom.put(to, from));
    List<FileChange> out = new ArrayList<>();
    for (FileChange c : changes) {
      if (renamedTo.containsKey(c.path())) {
        continue;
      }
      String from = renamedFrom.get(c.path());
      if (from != null) {
        out.add(new FileChange(c.path(), ChangeKind.RENAMED, Optional.of(from), c.bytesAfter(), c.bytesAfter(), 0, 0, c.binary()));
      } else {
        out.add(c);
      }
    }
    return out;
  }
}
