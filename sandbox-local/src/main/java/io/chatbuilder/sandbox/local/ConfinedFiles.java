package io.chatbuilder.sandbox.local;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.attribute.FileTime;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * File operations confined to a root directory.
 *
 * <p>Java has no {@code openat}, but on Linux and macOS {@link SecureDirectoryStream} is backed by it:
 * every operation starts from a handle on the root and descends one component at a time with
 * {@code O_NOFOLLOW}, so a directory swapped for a symlink between a check and its use makes the
 * open fail instead of leading outside. Symlink rules:
 * <ul>
 *   <li>Reads follow a symlink only if its real target lies inside the root.
 *   <li>Writes, deletes and renames never follow a symlink anywhere in the path (a final symlink is
 *       deleted or renamed as a link, never written through).
 *   <li>Scans, listings and searches never traverse symlinks.
 * </ul>
 * Creating a missing directory is the one step done by path (there is no {@code mkdirat}); the new
 * directory is then opened with {@code O_NOFOLLOW}, so a race there can at most create an empty
 * directory, never write a file outside. FIFOs, sockets and devices are never opened.
 *
 * <p>Writes go to a temporary file in the target directory, then an atomic rename replaces the
 * target, so a process killed mid-write never leaves a half-written file, and a hard link to a file
 * outside the root is replaced rather than written through.
 *
 * <p>Not thread-safe; {@link LocalSandbox} serializes calls.
 */
final class ConfinedFiles {
  /** Prefix of in-flight temporary files; such names are never listed, scanned or writable. */
  static final String TEMP_PREFIX = ".chatbuilder-tmp-";

  private static final Set<OpenOption> READ = Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS);
  private static final Set<OpenOption> CREATE =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, NOFOLLOW_LINKS);
  private static final String STAT_ATTRIBUTES = "unix:mode,size,lastModifiedTime,ctime,dev,ino";
  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;

  private final Path root;
  private final Exclusions exclusions;
  private final long maxFileBytes;
  private final RaceHook hook;
  private final SecureRandom random = new SecureRandom();

  /**
   * Called between checking a path and using it; tests use it to swap directories for symlinks at
   * exactly the wrong moment, or to fail a write before its commit.
   */
  @FunctionalInterface
  interface RaceHook {
    RaceHook NONE = (step, path) -> {};

    void at(String step, String path) throws IOException;
  }

  ConfinedFiles(Path root, Exclusions exclusions, long maxFileBytes, RaceHook hook) {
    this.root = root;
    this.exclusions = exclusions;
    this.maxFileBytes = maxFileBytes;
    this.hook = hook;
    try (SecureDirectoryStream<Path> ignored = openRoot()) {
      // Fails early on platforms without openat.
    } catch (IOException e) {
      throw new SandboxException("cannot open sandbox root: " + e.getMessage(), e);
    }
  }

  Path root() {
    return root;
  }

  long maxFileBytes() {
    return maxFileBytes;
  }

  // ---------------------------------------------------------------- reads

  /**
   * The bytes of a regular file, empty if there is none at {@code path}. With {@code strict}, a
   * directory or special file there is an error; otherwise it counts as "no file". A symlink that
   * leads outside is always an error.
   */
  Optional<byte[]> read(String path, boolean strict) {
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Optional<byte[]> direct = readNoFollow(rootDir, path, path, strict);
      if (direct != null) {
        return direct;
      }
      // A symlink is on the way: follow it only if it really leads to a place inside the root.
      String inside = insideTarget(path);
      if (inside == null) {
        return Optional.empty();
      }
      Optional<byte[]> followed = readNoFollow(rootDir, inside, path, strict);
      if (followed == null) {
        throw new PathRefusedException("path refused: " + path + " changed while it was being read (a symbolic link appeared)");
      }
      return followed;
    } catch (IOException e) {
      throw ioFailure("read " + path, e);
    }
  }

  /** Returns null when a symlink is met, so the caller can decide whether to follow it. */
  private Optional<byte[]> readNoFollow(SecureDirectoryStream<Path> rootDir, String path, String shown, boolean strict)
      throws IOException {
    Descent d = descend(rootDir, path, Mode.READ);
    if (d.symlink) {
      return null;
    }
    if (d.dir == null) {
      return Optional.empty();
    }
    try (SecureDirectoryStream<Path> dir = d.owned ? d.dir : null) {
      String name = SandboxPaths.fileName(path);
      BasicFileAttributes attrs = lstat(d.dir, name);
      if (attrs == null) {
        return Optional.empty();
      }
      if (attrs.isSymbolicLink()) {
        return null;
      }
      if (attrs.isDirectory()) {
        if (!strict) {
          return Optional.empty();
        }
        throw new InvalidArgumentException("cannot read " + shown + ": it is a directory");
      }
      if (!attrs.isRegularFile()) {
        if (!strict) {
          return Optional.empty();
        }
        throw notRegular(shown);
      }
      if (attrs.size() > maxFileBytes) {
        throw tooLarge(shown, attrs.size());
      }
      hook.at("open", path);
      return Optional.of(readAll(d.dir, name, shown));
    }
  }

  private byte[] readAll(SecureDirectoryStream<Path> dir, String name, String shown) throws IOException {
    try (SeekableByteChannel channel = openForRead(dir, name, shown)) {
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(Math.max(channel.size(), 0) + 1, maxFileBytes + 1));
      while (true) {
        if (!buffer.hasRemaining()) {
          if (buffer.capacity() > maxFileBytes) {
            throw tooLarge(shown, buffer.capacity());
          }
          ByteBuffer bigger = ByteBuffer.allocate((int) Math.min((long) buffer.capacity() * 2, maxFileBytes + 1));
          buffer.flip();
          bigger.put(buffer);
          buffer = bigger;
        }
        if (channel.read(buffer) < 0) {
          break;
        }
      }
      return Arrays.copyOf(buffer.array(), buffer.position());
    }
  }

  private SeekableByteChannel openForRead(SecureDirectoryStream<Path> dir, String name, String shown) throws IOException {
    try {
      return dir.newByteChannel(Path.of(name), READ);
    } catch (NoSuchFileException e) {
      throw new NotFoundException("no such file: " + shown);
    } catch (IOException e) {
      // ELOOP: the file was swapped for a symlink after it was checked.
      throw new PathRefusedException("path refused: " + shown + " changed while it was being opened (" + e.getMessage() + ")", e);
    }
  }

  /** SHA-256 of a regular file's content (no symlinks followed), empty if it is gone or not regular. */
  Optional<byte[]> hash(String path) {
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Descent d = descend(rootDir, path, Mode.READ);
      if (d.dir == null || d.symlink) {
        return Optional.empty();
      }
      try (SecureDirectoryStream<Path> dir = d.owned ? d.dir : null) {
        String name = SandboxPaths.fileName(path);
        BasicFileAttributes attrs = lstat(d.dir, name);
        if (attrs == null || !attrs.isRegularFile()) {
          return Optional.empty();
        }
        MessageDigest digest = sha256();
        try (SeekableByteChannel channel = d.dir.newByteChannel(Path.of(name), READ)) {
          ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
          while (channel.read(buffer) >= 0) {
            buffer.flip();
            digest.update(buffer);
            buffer.clear();
          }
        }
        return Optional.of(digest.digest());
      }
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw ioFailure("hash " + path, e);
    }
  }

  static byte[] sha256(byte[] content) {
    return sha256().digest(content);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Resolves the symlinks on the way to {@code path} one component at a time: the real path relative
   * to the root, null if there is no file (a missing component inside the root), or a refusal as soon
   * as a link leads outside. A dangling or looping link gets the same refusal as one that leads
   * outside, so reads cannot be used to probe which host paths exist.
   */
  private String insideTarget(String path) throws IOException {
    Path current = root;
    String[] segments = path.split("/");
    for (String segment : segments) {
      Path next = current.resolve(segment);
      if (!Files.exists(next, NOFOLLOW_LINKS)) {
        return null;
      }
      if (Files.isSymbolicLink(next)) {
        try {
          next = next.toRealPath();
        } catch (IOException e) {
          throw leadsOutside(path);
        }
        // Path.startsWith compares whole components, so a sibling "root-x" never passes for "root".
        if (!next.startsWith(root) || next.equals(root)) {
          throw leadsOutside(path);
        }
      }
      current = next;
    }
    String relative = relative(current);
    if (exclusions.isExcluded(relative) && !exclusions.isExcluded(path)) {
      throw new PathRefusedException("path refused: " + path + " is a symbolic link into an excluded directory");
    }
    return relative;
  }

  private static PathRefusedException leadsOutside(String path) {
    return new PathRefusedException("path refused: " + path
        + " goes through a symbolic link that leads outside the app root (or nowhere)");
  }

  // ---------------------------------------------------------------- writes

  /** Creates or atomically replaces a file; returns the outcome (UNCHANGED writes nothing). */
  WriteOutcome write(String path, byte[] content) {
    if (content.length > maxFileBytes) {
      throw new TooLargeException("cannot write " + path + ": " + content.length + " bytes is over the "
          + maxFileBytes + " byte limit");
    }
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Descent d = descend(rootDir, path, Mode.WRITE);
      try (SecureDirectoryStream<Path> dir = d.owned ? d.dir : null) {
        String name = SandboxPaths.fileName(path);
        BasicFileAttributes attrs = lstat(d.dir, name);
        Set<PosixFilePermission> permissions = null;
        if (attrs != null) {
          if (attrs.isSymbolicLink()) {
            throw new PathRefusedException("path refused: " + path + " is a symbolic link; writes never follow symbolic links");
          }
          if (attrs.isDirectory()) {
            throw new InvalidArgumentException("cannot write " + path + ": it is a directory");
          }
          if (!attrs.isRegularFile()) {
            throw notRegular(path);
          }
          if (attrs.size() == content.length && Arrays.equals(readAll(d.dir, name, path), content)) {
            return WriteOutcome.UNCHANGED;
          }
          permissions = d.dir.getFileAttributeView(Path.of(name), PosixFileAttributeView.class, NOFOLLOW_LINKS)
              .readAttributes().permissions();
        }
        commit(d.dir, name, path, content, permissions);
        return attrs == null ? WriteOutcome.CREATED : WriteOutcome.MODIFIED;
      }
    } catch (IOException e) {
      throw ioFailure("write " + path, e);
    }
  }

  private void commit(SecureDirectoryStream<Path> dir, String name, String path, byte[] content,
      Set<PosixFilePermission> permissions) throws IOException {
    Path temp = Path.of(TEMP_PREFIX + HexFormat.of().formatHex(randomBytes()));
    boolean committed = false;
    try {
      try (SeekableByteChannel channel = dir.newByteChannel(temp, CREATE)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      }
      if (permissions != null) {
        dir.getFileAttributeView(temp, PosixFileAttributeView.class, NOFOLLOW_LINKS).setPermissions(permissions);
      }
      hook.at("commit", path);
      // renameat within one directory handle: atomic, and it replaces a symlink or hard link rather
      // than writing through it.
      dir.move(temp, dir, Path.of(name));
      committed = true;
    } finally {
      if (!committed) {
        try {
          dir.deleteFile(temp);
        } catch (IOException ignored) {
          // Nothing to clean up, or the directory went away.
        }
      }
    }
  }

  private byte[] randomBytes() {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return bytes;
  }

  /** Deletes a file (or a symlink, as a link) or a directory tree; returns the regular files deleted. */
  List<String> delete(String path) {
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Descent d = descend(rootDir, path, Mode.EXISTING);
      if (d.dir == null) {
        throw new NotFoundException("nothing to delete at " + path);
      }
      try (SecureDirectoryStream<Path> dir = d.owned ? d.dir : null) {
        String name = SandboxPaths.fileName(path);
        BasicFileAttributes attrs = lstat(d.dir, name);
        if (attrs == null) {
          throw new NotFoundException("nothing to delete at " + path);
        }
        List<String> deleted = new ArrayList<>();
        if (attrs.isDirectory()) {
          hook.at("open", path);
          try (SecureDirectoryStream<Path> child = openChild(d.dir, name, path)) {
            deleteTree(child, path, deleted);
          }
          d.dir.deleteDirectory(Path.of(name));
        } else {
          d.dir.deleteFile(Path.of(name));
          if (attrs.isRegularFile()) {
            deleted.add(path);
          }
        }
        deleted.sort(null);
        return deleted;
      }
    } catch (IOException e) {
      throw ioFailure("delete " + path, e);
    }
  }

  /**
   * Removes the directories above {@code path} that are empty, deepest first, stopping at the first
   * that is not (or is not a plain directory). Lets a restore turn a directory back into a file.
   */
  void pruneEmptyParents(String path) {
    for (String dir = SandboxPaths.parent(path); !dir.isEmpty(); dir = SandboxPaths.parent(dir)) {
      try (SecureDirectoryStream<Path> rootDir = openRoot()) {
        Descent d = descend(rootDir, dir, Mode.EXISTING);
        if (d.dir == null) {
          return;
        }
        try (SecureDirectoryStream<Path> parent = d.owned ? d.dir : null) {
          BasicFileAttributes attrs = lstat(d.dir, SandboxPaths.fileName(dir));
          if (attrs == null || !attrs.isDirectory()) {
            return;
          }
          // unlinkat(AT_REMOVEDIR) fails on a non-empty directory and never follows a symlink.
          d.dir.deleteDirectory(Path.of(SandboxPaths.fileName(dir)));
        }
      } catch (IOException | RuntimeException notEmptyOrGone) {
        return;
      }
    }
  }

  private void deleteTree(SecureDirectoryStream<Path> dir, String prefix, List<String> deleted) throws IOException {
    for (String name : names(dir)) {
      String path = prefix + "/" + name;
      BasicFileAttributes attrs = lstat(dir, name);
      if (attrs == null) {
        continue;
      }
      if (attrs.isDirectory()) {
        try (SecureDirectoryStream<Path> child = openChild(dir, name, path)) {
          deleteTree(child, path, deleted);
        }
        dir.deleteDirectory(Path.of(name));
      } else {
        dir.deleteFile(Path.of(name));
        if (attrs.isRegularFile()) {
          deleted.add(path);
        }
      }
    }
  }

  /**
   * Moves a file or directory without overwriting; returns the regular files moved (old path to new
   * path).
   */
  SortedMap<String, String> rename(String from, String to) {
    if (SandboxPaths.isWithin(to, from)) {
      throw new InvalidArgumentException("cannot move " + from + " into itself");
    }
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Descent source = descend(rootDir, from, Mode.EXISTING);
      if (source.dir == null) {
        throw new NotFoundException("nothing to rename at " + from);
      }
      try (SecureDirectoryStream<Path> sourceDir = source.owned ? source.dir : null) {
        String sourceName = SandboxPaths.fileName(from);
        BasicFileAttributes attrs = lstat(source.dir, sourceName);
        if (attrs == null) {
          throw new NotFoundException("nothing to rename at " + from);
        }
        SortedMap<String, String> moved = new TreeMap<>();
        if (attrs.isDirectory()) {
          try (SecureDirectoryStream<Path> child = openChild(source.dir, sourceName, from)) {
            List<String> files = new ArrayList<>();
            collectFiles(child, from, files);
            files.forEach(f -> moved.put(f, to + f.substring(from.length())));
          }
        } else if (attrs.isRegularFile()) {
          moved.put(from, to);
        }
        Descent target = descend(rootDir, to, Mode.WRITE);
        try (SecureDirectoryStream<Path> targetDir = target.owned ? target.dir : null) {
          String targetName = SandboxPaths.fileName(to);
          if (lstat(target.dir, targetName) != null) {
            throw new InvalidArgumentException("cannot rename to " + to + ": it exists");
          }
          hook.at("commit", to);
          source.dir.move(Path.of(sourceName), target.dir, Path.of(targetName));
        }
        return moved;
      }
    } catch (IOException e) {
      throw ioFailure("rename " + from + " to " + to, e);
    }
  }

  private void collectFiles(SecureDirectoryStream<Path> dir, String prefix, List<String> out) throws IOException {
    for (String name : names(dir)) {
      String path = prefix + "/" + name;
      BasicFileAttributes attrs = lstat(dir, name);
      if (attrs == null) {
        continue;
      }
      if (attrs.isDirectory()) {
        try (SecureDirectoryStream<Path> child = openChild(dir, name, path)) {
          collectFiles(child, path, out);
        }
      } else if (attrs.isRegularFile()) {
        out.add(path);
      }
    }
  }

  // ---------------------------------------------------------------- directories and scans

  /**
   * Checks that {@code directory} ({@code ""} = root) is a real directory inside the root reached
   * without symlinks, and returns its absolute path.
   */
  Path directory(String directory) {
    if (directory.isEmpty()) {
      return root;
    }
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Descent d = descend(rootDir, directory, Mode.EXISTING);
      if (d.dir == null) {
        throw new NotFoundException("no such directory: " + directory);
      }
      try (SecureDirectoryStream<Path> dir = d.owned ? d.dir : null) {
        BasicFileAttributes attrs = lstat(d.dir, SandboxPaths.fileName(directory));
        if (attrs == null) {
          throw new NotFoundException("no such directory: " + directory);
        }
        if (attrs.isSymbolicLink()) {
          throw new PathRefusedException("path refused: " + directory + " is a symbolic link; directories are never entered through symbolic links");
        }
        if (!attrs.isDirectory()) {
          throw new InvalidArgumentException("not a directory: " + directory);
        }
        return root.resolve(directory);
      }
    } catch (IOException e) {
      throw ioFailure("open directory " + directory, e);
    }
  }

  /** Lists {@code directory}: files and directories, sorted, without exclusions, symlinks and specials. */
  List<FileEntry> list(String directory, boolean recursive, int limit) {
    directory(directory); // clear errors for missing, symlinked or non-directories
    TreeMap<String, FileEntry> entries = new TreeMap<>();
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      SecureDirectoryStream<Path> start = rootDir;
      if (!directory.isEmpty()) {
        Descent d = descend(rootDir, directory, Mode.EXISTING);
        if (d.dir == null) {
          throw new NotFoundException("no such directory: " + directory);
        }
        try (SecureDirectoryStream<Path> parent = d.owned ? d.dir : null) {
          start = openChild(d.dir, SandboxPaths.fileName(directory), directory);
        }
      }
      try (SecureDirectoryStream<Path> owned = start != rootDir ? start : null) {
        walk(start, directory, recursive, (path, attrs, isDirectory) -> entries.put(path, isDirectory
            ? new FileEntry(path, FileEntry.Kind.DIRECTORY, 0)
            : new FileEntry(path, FileEntry.Kind.FILE, (Long) attrs.get("size"))));
      }
    } catch (IOException e) {
      throw ioFailure("list " + (directory.isEmpty() ? "the root" : directory), e);
    }
    return entries.values().stream().limit(Math.max(0, limit)).toList();
  }

  /**
   * Stats every checkpointable regular file: one {@code lstat} per entry, no reads. Excluded
   * directories, symlinks and special files are not traversed.
   */
  SortedMap<String, FileStat> statAll() {
    SortedMap<String, FileStat> out = new TreeMap<>();
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      walk(rootDir, "", true, (path, attrs, isDirectory) -> {
        if (!isDirectory) {
          out.put(path, toStat(attrs));
        }
      });
    } catch (IOException e) {
      throw ioFailure("scan the app files", e);
    }
    return out;
  }

  @FunctionalInterface
  private interface WalkVisitor {
    void visit(String path, Map<String, Object> attrs, boolean isDirectory);
  }

  /**
   * Visits directories and regular files under {@code dir}. Directories are entered through their
   * parent's handle with {@code O_NOFOLLOW}, so a directory swapped for a symlink mid-walk is skipped,
   * never followed; entries are stat'ed by path for their ctime (Java's handles do not expose it).
   */
  private void walk(SecureDirectoryStream<Path> dir, String prefix, boolean recursive, WalkVisitor visitor) throws IOException {
    for (String name : names(dir)) {
      if (skipped(name)) {
        continue;
      }
      String path = prefix.isEmpty() ? name : prefix + "/" + name;
      Map<String, Object> attrs;
      try {
        attrs = stat(root.resolve(path));
      } catch (IOException changedUnderUs) {
        continue; // a parent was replaced mid-walk (ENOTDIR, ELOOP): the next scan sees the new state
      }
      if (attrs == null) {
        continue;
      }
      int type = (Integer) attrs.get("mode") & S_IFMT;
      if (type == S_IFREG) {
        visitor.visit(path, attrs, false);
      } else if (type == S_IFDIR) {
        visitor.visit(path, attrs, true);
        if (recursive) {
          hook.at("walk", path);
          SecureDirectoryStream<Path> child;
          try {
            child = dir.newDirectoryStream(Path.of(name), NOFOLLOW_LINKS);
          } catch (IOException swappedOrGone) {
            continue; // deleted or replaced by a symlink since the stat: nothing to walk
          }
          try (child) {
            walk(child, path, true, visitor);
          }
        }
      }
    }
  }

  /** The stat of one regular file, empty if there is none (or it is not a regular file). */
  Optional<FileStat> stat(String path) {
    try {
      Map<String, Object> attrs = stat(root.resolve(path));
      if (attrs == null || ((Integer) attrs.get("mode") & S_IFMT) != S_IFREG) {
        return Optional.empty();
      }
      return Optional.of(toStat(attrs));
    } catch (IOException e) {
      throw ioFailure("stat " + path, e);
    }
  }

  private static Map<String, Object> stat(Path entry) throws IOException {
    try {
      return Files.readAttributes(entry, STAT_ATTRIBUTES, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static FileStat toStat(Map<String, Object> attrs) {
    return new FileStat((Long) attrs.get("size"), nanos(attrs.get("lastModifiedTime")), nanos(attrs.get("ctime")),
        (Long) attrs.get("dev"), (Long) attrs.get("ino"));
  }

  private static long nanos(Object time) {
    return ((FileTime) time).to(java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  /** Whether a name is never listed or scanned: excluded names and in-flight temporary files. */
  boolean skipped(String name) {
    return exclusions.isExcludedName(name) || name.startsWith(TEMP_PREFIX);
  }

  // ---------------------------------------------------------------- descent

  private enum Mode {
    /** Missing parents: no file. Symlinked parents: reported, so reads may follow inside ones. */
    READ,
    /** Missing parents are created; symlinked parents are refused. */
    WRITE,
    /** Missing parents: no file. Symlinked parents are refused. */
    EXISTING
  }

  /** The directory holding a path's last segment; {@code owned} when it must be closed by the caller. */
  private static final class Descent {
    final SecureDirectoryStream<Path> dir;
    final boolean owned;
    final boolean symlink;

    Descent(SecureDirectoryStream<Path> dir, boolean owned, boolean symlink) {
      this.dir = dir;
      this.owned = owned;
      this.symlink = symlink;
    }
  }

  private Descent descend(SecureDirectoryStream<Path> rootDir, String path, Mode mode) throws IOException {
    String parent = SandboxPaths.parent(path);
    if (parent.isEmpty()) {
      return new Descent(rootDir, false, false);
    }
    SecureDirectoryStream<Path> current = rootDir;
    String walked = "";
    try {
      for (String segment : parent.split("/")) {
        walked = walked.isEmpty() ? segment : walked + "/" + segment;
        BasicFileAttributes attrs = lstat(current, segment);
        if (attrs == null) {
          if (mode != Mode.WRITE) {
            closeIfOwned(current, rootDir);
            return new Descent(null, false, false);
          }
          try {
            Files.createDirectory(root.resolve(walked));
          } catch (FileAlreadyExistsException raced) {
            // Someone created it meanwhile; the O_NOFOLLOW open below decides whether it is usable.
          }
        } else if (attrs.isSymbolicLink()) {
          if (mode == Mode.READ) {
            closeIfOwned(current, rootDir);
            return new Descent(null, false, true);
          }
          throw new PathRefusedException("path refused: " + walked + " is a symbolic link; files are never changed through symbolic links");
        } else if (!attrs.isDirectory()) {
          if (mode == Mode.WRITE) {
            throw new InvalidArgumentException("cannot use " + path + ": " + walked + " is a file, not a directory");
          }
          closeIfOwned(current, rootDir);
          return new Descent(null, false, false);
        }
        hook.at("descend", walked);
        SecureDirectoryStream<Path> next = openChild(current, segment, walked);
        closeIfOwned(current, rootDir);
        current = next;
      }
      return new Descent(current, current != rootDir, false);
    } catch (IOException | RuntimeException e) {
      closeIfOwned(current, rootDir);
      throw e;
    }
  }

  private static void closeIfOwned(SecureDirectoryStream<Path> dir, SecureDirectoryStream<Path> rootDir) throws IOException {
    if (dir != null && dir != rootDir) {
      dir.close();
    }
  }

  private SecureDirectoryStream<Path> openChild(SecureDirectoryStream<Path> dir, String name, String shown) throws IOException {
    try {
      return dir.newDirectoryStream(Path.of(name), NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NotFoundException("no such directory: " + shown);
    } catch (FileSystemException e) {
      // ELOOP or ENOTDIR: the directory was swapped for a symlink or a file after it was checked.
      throw new PathRefusedException("path refused: " + shown + " is no longer a plain directory (" + reason(e)
          + "); it was swapped while being used", e);
    }
  }

  private static BasicFileAttributes lstat(SecureDirectoryStream<Path> dir, String name) throws IOException {
    try {
      return dir.getFileAttributeView(Path.of(name), BasicFileAttributeView.class, NOFOLLOW_LINKS).readAttributes();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static List<String> names(SecureDirectoryStream<Path> dir) throws IOException {
    // Each SecureDirectoryStream iterates once; open a fresh handle on "." to list it.
    try (SecureDirectoryStream<Path> listing = dir.newDirectoryStream(Path.of("."), NOFOLLOW_LINKS)) {
      List<String> names = new ArrayList<>();
      for (Path entry : listing) {
        names.add(entry.getFileName().toString());
      }
      names.sort(null);
      return names;
    }
  }

  private SecureDirectoryStream<Path> openRoot() throws IOException {
    DirectoryStream<Path> stream = Files.newDirectoryStream(root);
    if (stream instanceof SecureDirectoryStream<Path> secure) {
      return secure;
    }
    stream.close();
    throw new SandboxException("this platform has no secure directory handles (openat); the local sandbox needs Linux or macOS");
  }

  private String relative(Path absolute) {
    List<String> parts = new ArrayList<>();
    for (Path part : root.relativize(absolute)) {
      parts.add(part.toString());
    }
    return String.join("/", parts);
  }

  private static PathRefusedException notRegular(String path) {
    return new PathRefusedException("path refused: " + path
        + " is not a regular file (a FIFO, socket or device); such files are never opened");
  }

  private TooLargeException tooLarge(String path, long size) {
    return new TooLargeException(path + " is " + size + " bytes, over the " + maxFileBytes + " byte limit");
  }

  private static String reason(FileSystemException e) {
    return e.getReason() == null ? e.getClass().getSimpleName() : e.getReason();
  }

  private static RuntimeException ioFailure(String what, IOException e) {
    if (e instanceof NoSuchFileException) {
      return new NotFoundException("cannot " + what + ": " + e.getMessage());
    }
    String message = String.valueOf(e.getMessage());
    if (message.contains("symbolic link") || message.contains("Not a directory")) {
      return new PathRefusedException("path refused: cannot " + what + ": " + message, e);
    }
    return new SandboxException("cannot " + what + ": " + e.getMessage(), e);
  }
}
