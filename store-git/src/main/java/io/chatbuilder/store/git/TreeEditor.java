package io.chatbuilder.store.git;

import io.chatbuilder.core.InvalidArgumentException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectChecker;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Builds a new tree from a base tree and a set of path changes, touching only the directories on
 * the changed paths: each of them is read once and written once, every other subtree keeps its id.
 * So a change of k files costs O(k × depth) object reads and writes, whatever the size of the app.
 */
final class TreeEditor {
  /** Git's own rules for a path segment (no ".", "..", ".git" and its HFS/NTFS aliases, no NUL). */
  private static final ObjectChecker CHECKER = new ObjectChecker().setSafeForMacOS(true);

  private final ObjectReader reader;
  private final ObjectInserter inserter;

  TreeEditor(ObjectReader reader, ObjectInserter inserter) {
    this.reader = reader;
    this.inserter = inserter;
  }

  /**
   * Validates a path the way git would store it: relative, '/'-separated, no empty, "." or ".."
   * segments, no ".git" segment, valid unicode.
   *
   * @throws InvalidArgumentException if git could not store the path
   */
  static List<byte[]> segments(String path) {
    if (path.isEmpty()) {
      throw new InvalidArgumentException("empty file path");
    }
    if (!new String(path.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(path)) {
      throw new InvalidArgumentException("file path is not valid unicode: " + printable(path));
    }
    List<byte[]> out = new ArrayList<>();
    for (String segment : path.split("/", -1)) {
      byte[] bytes = segment.getBytes(StandardCharsets.UTF_8);
      try {
        CHECKER.checkPathSegment(bytes, 0, bytes.length);
      } catch (CorruptObjectException e) {
        throw new InvalidArgumentException("file path " + printable(path) + " cannot be stored in git: " + e.getMessage());
      }
      out.add(bytes);
    }
    return out;
  }

  private static String printable(String path) {
    return "'" + CheckpointMessage.escape(path) + "'";
  }

  /**
   * The id of {@code base} with {@code changes} applied: a present blob id writes a regular file,
   * an empty one deletes the file (a no-op when it is absent). Directories left empty disappear.
   *
   * @param base the base tree, or null for an empty one
   * @throws InvalidArgumentException when a path would be both a file and a directory
   */
  ObjectId apply(ObjectId base, Map<String, Optional<ObjectId>> changes) throws IOException {
    Dir root = new Dir();
    changes.forEach((path, blob) -> {
      List<byte[]> segments = segments(path);
      Dir dir = root;
      for (int i = 0; i < segments.size() - 1; i++) {
        dir = dir.entry(segments.get(i)).subdir();
      }
      Entry leaf = dir.entry(segments.get(segments.size() - 1));
      leaf.fileChanged = true;
      leaf.blob = blob.orElse(null);
    });
    ObjectId id = write(base, root, "");
    return id != null ? id : inserter.insert(new TreeFormatter());
  }

  private ObjectId write(ObjectId base, Dir changes, String where) throws IOException {
    // name -> (mode, id) of the result; the key keeps git's order (a directory sorts as "name/").
    TreeMap<byte[], Object[]> result = new TreeMap<>(TreeEditor::gitOrder);
    Map<Key, ObjectId> baseDirs = new HashMap<>();
    if (base != null) {
      CanonicalTreeParser parser = new CanonicalTreeParser(null, reader, base);
      for (; !parser.eof(); parser.next()) {
        byte[] name = Arrays.copyOf(parser.getEntryPathBuffer(), parser.getNameLength());
        FileMode mode = parser.getEntryFileMode();
        ObjectId id = parser.getEntryObjectId();
        if (mode == FileMode.TREE) {
          baseDirs.put(new Key(name), id);
        }
        result.put(sortKey(name, mode == FileMode.TREE), new Object[] {name, mode, id});
      }
    }
    for (Map.Entry<Key, Entry> change : changes.entries.entrySet()) {
      byte[] name = change.getKey().bytes;
      Entry entry = change.getValue();
      if (entry.fileChanged) {
        byte[] fileKey = sortKey(name, false);
        if (entry.blob == null) {
          result.remove(fileKey);
        } else {
          result.put(fileKey, new Object[] {name, FileMode.REGULAR_FILE, entry.blob});
        }
      }
      if (entry.dir != null) {
        byte[] dirKey = sortKey(name, true);
        String path = where + new String(name, StandardCharsets.UTF_8);
        ObjectId subtree = write(baseDirs.get(change.getKey()), entry.dir, path + "/");
        if (subtree == null) {
          result.remove(dirKey);
        } else {
          result.put(dirKey, new Object[] {name, FileMode.TREE, subtree});
        }
      }
      boolean file = result.containsKey(sortKey(name, false));
      boolean dir = result.containsKey(sortKey(name, true));
      if (file && dir) {
        String path = where + new String(name, StandardCharsets.UTF_8);
        throw new InvalidArgumentException("'" + CheckpointMessage.escape(path)
            + "' would be both a file and a directory; delete one of them in the same checkpoint");
      }
    }
    if (result.isEmpty()) {
      return null;
    }
    TreeFormatter formatter = new TreeFormatter();
    for (Object[] e : result.values()) {
      formatter.append((byte[]) e[0], (FileMode) e[1], (ObjectId) e[2]);
    }
    return inserter.insert(formatter);
  }

  /** Git sorts tree entries by name bytes, comparing a directory as if its name ended in '/'. */
  private static byte[] sortKey(byte[] name, boolean dir) {
    byte[] key = Arrays.copyOf(name, name.length + 1);
    key[name.length] = dir ? (byte) '/' : 0;
    return key;
  }

  private static int gitOrder(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  private static final class Dir {
    final Map<Key, Entry> entries = new HashMap<>();

    Entry entry(byte[] name) {
      return entries.computeIfAbsent(new Key(name), k -> new Entry());
    }
  }

  private static final class Entry {
    boolean fileChanged;
    ObjectId blob;
    Dir dir;

    Dir subdir() {
      if (dir == null) {
        dir = new Dir();
      }
      return dir;
    }
  }

  private record Key(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }
}
