package io.chatbuilder.sandbox.local;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * File operations confined to a root directory, with no race that creates, reads, stats or blocks
 * on anything outside it.
 *
 * <p>Java has no {@code openat}, but on Linux {@link SecureDirectoryStream} is backed by the
 * {@code *at} calls: every operation starts from a handle on the (trusted) root and descends one
 * component at a time through directory handles. What each step is made of, and why it holds:
 * <ul>
 *   <li><b>Entering a directory</b> opens {@code name/.} relative to the parent's handle: the
 *       trailing {@code /.} makes the kernel refuse anything but a directory ({@code ENOTDIR}), so a
 *       directory swapped for a FIFO never blocks the open (Java's own {@code O_NOFOLLOW} open has no
 *       {@code O_DIRECTORY} and would block). The opened directory's device and inode must equal those
 *       {@code fstatat(AT_SYMLINK_NOFOLLOW)} showed for {@code name} in the parent a moment before; a
 *       directory swapped for a symlink meanwhile yields another inode and is refused before anything
 *       in it is listed or opened.
 *   <li><b>Creating a directory</b>: Java has no {@code mkdirat}. At the top level the directory is
 *       created by path in the root, which is safe because the root's path is trusted and
 *       {@code mkdir} never follows its final component. Deeper, it is created in the root under a
 *       temporary name and moved into the parent's handle with {@code renameat}; nothing is ever
 *       created through a path an app can change.
 *   <li><b>Stats</b> are {@code fstatat} relative to the parent's handle. Java's handles do not expose
 *       ctime, which change tracking needs; it comes from a path stat that is used only when its
 *       device and inode equal the handle's stat (otherwise ctime counts as unknown and the file as
 *       possibly changed).
 *   <li><b>Reading a file</b> opens it {@code O_RDWR|O_NOFOLLOW} relative to its directory's handle,
 *       then checks it is seekable: {@code O_RDWR} never blocks on a FIFO (a read-only open does, and
 *       Java offers no {@code O_NONBLOCK}), sockets refuse to open, and a FIFO fails the seek, so no
 *       FIFO or socket is ever read. No byte is written and no time stamp changes. The price: a file
 *       the SDK's user may not write is refused rather than read. Device nodes cannot be created from
 *       inside the sandbox (no {@code CAP_MKNOD}, no hard links across file systems).
 *   <li><b>Writing a file</b> creates a temporary file with {@code O_CREAT|O_EXCL} in the same handle
 *       and {@code renameat}s it over the target: atomic, never half-written, and a symlink, FIFO or
 *       hard link at the target is replaced, never written through.
 * </ul>
 * Symlink rules: reads follow a symlink only if it resolves inside the root (resolved component by
 * component through handles; the link text is read by path and used only if the link's inode is the
 * one the handle showed); writes, deletes and renames never follow one (a final symlink is deleted or
 * renamed as a link); scans, listings and searches never traverse one. Names the sandbox API refuses
 * ({@link SandboxPaths#isAcceptedName}: the SDK's own files, bidi controls, non-NFC names, ...) and
 * excluded names are never listed, scanned or searched.
 *
 * <p>Not thread-safe; {@link LocalSandbox} serializes calls.
 */
final class ConfinedFiles {
  /** Prefix of in-flight temporary files and directories; reserved (see {@link SandboxPaths#isReservedName}). */
  static final String TEMP_PREFIX = ".chatbuilder-tmp-";

  /** {@code O_RDWR|O_NOFOLLOW}: the one read-side open that cannot block on a FIFO. */
  private static final Set<OpenOption> READ_NONBLOCKING =
      Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE, NOFOLLOW_LINKS);
  private static final Set<OpenOption> CREATE =
      Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, NOFOLLOW_LINKS);
  private static final String PATH_STAT = "unix:fileKey,ctime,dev,ino";
  /** Linux's own limit on symlinks in one resolution. */
  private static final int MAX_SYMLINKS = 40;

  private final Path root;
  /** {@code root/.}: opening it refuses anything but a directory, so it cannot block either. */
  private final Path rootDirectory;
  /** Replaced when the app's .gitignore changes ({@link LocalSandbox}); read by scans and listings. */
  private volatile Exclusions exclusions;
  private final long maxFileBytes;
  private final RaceHook hook;
  private final SecureRandom random = new SecureRandom();
  /** {@code TEMP_PREFIX + owner + "-"}: the owner lets the next open tell a killed writer's files from live ones. */
  private final String tempPrefix;
  /** The stat taken by the last write, for the {@link #stat} that follows it; see there. */
  private Written lastWrite;

  private record Written(String path, FileStat stat) {}

  /**
   * Called between checking a path and using it; tests use it to swap directories for symlinks or
   * FIFOs at exactly the wrong moment, or to fail a write before its commit. Steps: {@code descend},
   * {@code mkdir}, {@code open}, {@code commit}, {@code walk}, {@code ctime}, {@code readlink}.
   */
  @FunctionalInterface
  interface RaceHook {
    RaceHook NONE = (step, path) -> {};

    void at(String step, String path) throws IOException;
  }

  ConfinedFiles(Path root, Exclusions exclusions, long maxFileBytes, RaceHook hook, String tempOwner) {
    this.root = root;
    this.tempPrefix = TEMP_PREFIX + tempOwner + "-";
    this.rootDirectory = root.resolve(".");
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
      String inside = resolveInside(rootDir, path);
      if (inside == null) {
        return Optional.empty();
      }
      if (inside.isEmpty()) {
        if (strict) {
          throw new InvalidArgumentException("cannot read " + path + ": it is a directory");
        }
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
      PosixFileAttributes attrs = lstat(d.dir, name);
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
    try (SeekableByteChannel channel = openRegular(dir, name, shown)) {
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

  /**
   * Opens {@code name} in {@code dir} for reading, never blocking and never on a FIFO or socket:
   * {@code O_RDWR} (a FIFO opens at once, a socket refuses) and then a seek, which fails on a FIFO.
   */
  private SeekableByteChannel openRegular(SecureDirectoryStream<Path> dir, String name, String shown) throws IOException {
    SeekableByteChannel channel;
    try {
      channel = dir.newByteChannel(Path.of(name), READ_NONBLOCKING);
    } catch (NoSuchFileException e) {
      throw new NotFoundException("no such file: " + shown);
    } catch (AccessDeniedException e) {
      throw new PathRefusedException("path refused: cannot read " + shown + " safely: the SDK opens files read-write so that"
          + " a file swapped for a FIFO can never block it, and it may not write this one (make it writable: chmod u+w)", e);
    } catch (IOException e) {
      // ELOOP: swapped for a symlink after the check; EISDIR: for a directory; ENXIO: a socket;
      // ETXTBSY: a program that is running; EROFS: a read-only file system.
      throw new PathRefusedException("path refused: " + shown + " cannot be opened as a plain file ("
          + reason(e) + "); it may have been swapped while being read", e);
    }
    try {
      channel.position(); // lseek: ESPIPE on a FIFO
    } catch (IOException notSeekable) {
      channel.close();
      throw notRegular(shown);
    }
    return channel;
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
        MessageDigest digest = ContentHash.newSha256();
        hook.at("open", path);
        try (SeekableByteChannel channel = openRegular(d.dir, name, path)) {
          ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
          while (channel.read(buffer) >= 0) {
            buffer.flip();
            digest.update(buffer);
            buffer.clear();
          }
        }
        return Optional.of(digest.digest());
      }
    } catch (NoSuchFileException | NotFoundException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw ioFailure("hash " + path, e);
    }
  }

  static byte[] sha256(byte[] content) {
    return ContentHash.newSha256().digest(content);
  }

  /** One component still to resolve; {@code fromLink} when it came from a symlink's text. */
  private record Pending(String name, boolean fromLink) {}

  /**
   * Resolves the symlinks on the way to {@code path} one component at a time through directory
   * handles: the real path relative to the root ({@code ""} for the root itself), null if a
   * component of {@code path} itself is missing, or a refusal as soon as a link leads outside. A
   * dangling or looping link gets the same refusal as one that leads outside, so reads cannot be
   * used to probe which host paths exist.
   */
  private String resolveInside(SecureDirectoryStream<Path> rootDir, String path) throws IOException {
    Deque<Pending> pending = new ArrayDeque<>();
    for (String segment : path.split("/")) {
      pending.addLast(new Pending(segment, false));
    }
    List<String> resolved = new ArrayList<>();
    Deque<SecureDirectoryStream<Path>> handles = new ArrayDeque<>(); // one per entry of resolved
    int links = 0;
    try {
      while (!pending.isEmpty()) {
        Pending next = pending.removeFirst();
        String segment = next.name();
        if (segment.isEmpty() || segment.equals(".")) {
          continue;
        }
        if (segment.equals("..")) {
          if (resolved.isEmpty()) {
            throw leadsOutside(path);
          }
          resolved.remove(resolved.size() - 1);
          handles.removeLast().close();
          continue;
        }
        SecureDirectoryStream<Path> current = handles.isEmpty() ? rootDir : handles.peekLast();
        PosixFileAttributes attrs = lstat(current, segment);
        if (attrs == null) {
          if (next.fromLink()) {
            throw leadsOutside(path);
          }
          return null;
        }
        if (attrs.isSymbolicLink()) {
          if (++links > MAX_SYMLINKS) {
            throw leadsOutside(path);
          }
          Path target = readLink(resolved, segment, attrs.fileKey(), path);
          if (target.isAbsolute()) {
            // Path.startsWith compares whole components, so a sibling "root-x" never passes for "root".
            if (!target.normalize().equals(target) || !target.startsWith(root)) {
              throw leadsOutside(path);
            }
            target = root.relativize(target);
            resolved.clear();
            closeAll(handles);
          }
          List<String> parts = new ArrayList<>();
          for (Path part : target) {
            parts.add(part.toString());
          }
          for (int i = parts.size() - 1; i >= 0; i--) {
            pending.addFirst(new Pending(parts.get(i), true));
          }
          continue;
        }
        if (pending.isEmpty()) {
          resolved.add(segment);
          break;
        }
        if (!attrs.isDirectory()) {
          if (next.fromLink()) {
            throw leadsOutside(path);
          }
          return null;
        }
        String walked = resolved.isEmpty() ? segment : String.join("/", resolved) + "/" + segment;
        handles.addLast(openDirectory(current, segment, walked, attrs.fileKey()));
        resolved.add(segment);
      }
    } finally {
      closeAll(handles);
    }
    for (String segment : resolved) {
      if (!SandboxPaths.isAcceptedName(segment)) {
        throw new PathRefusedException("path refused: " + path + " is a symbolic link to a name the sandbox does not serve");
      }
    }
    String relative = String.join("/", resolved);
    if (exclusions.isExcluded(relative) && !exclusions.isExcluded(path)) {
      throw new PathRefusedException("path refused: " + path + " is a symbolic link into an excluded directory");
    }
    return relative;
  }

  /**
   * The text of symlink {@code name} in the directory at {@code resolved}. Java has no
   * {@code readlinkat}, so it is read by path; the text is used only if the link the path reached is
   * the inode the directory handle showed, before and after.
   */
  private Path readLink(List<String> resolved, String name, Object expectedKey, String shown) throws IOException {
    Path link = root.resolve(resolved.isEmpty() ? name : String.join("/", resolved) + "/" + name);
    try {
      hook.at("readlink", link.toString());
      Object before = Files.readAttributes(link, BasicFileAttributes.class, NOFOLLOW_LINKS).fileKey();
      Path target = Files.readSymbolicLink(link);
      Object after = Files.readAttributes(link, BasicFileAttributes.class, NOFOLLOW_LINKS).fileKey();
      if (expectedKey != null && expectedKey.equals(before) && expectedKey.equals(after)) {
        return target;
      }
    } catch (IOException changed) {
      // Swapped or gone: refused below like any other change.
    }
    throw new PathRefusedException("path refused: " + shown + " changed while its symbolic links were being resolved");
  }

  private static PathRefusedException leadsOutside(String path) {
    return new PathRefusedException("path refused: " + path
        + " goes through a symbolic link that leads outside the app root (or nowhere)");
  }

  // ---------------------------------------------------------------- writes

  /** Creates or atomically replaces a file; returns the outcome (UNCHANGED writes nothing). */
  WriteOutcome write(String path, byte[] content) {
    lastWrite = null;
    if (content.length > maxFileBytes) {
      throw new TooLargeException("cannot write " + path + ": " + content.length + " bytes is over the "
          + maxFileBytes + " byte limit");
    }
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Descent d = descend(rootDir, path, Mode.WRITE);
      try (SecureDirectoryStream<Path> dir = d.owned ? d.dir : null) {
        String name = SandboxPaths.fileName(path);
        PosixFileAttributes attrs = lstat(d.dir, name);
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
          if (attrs.size() == content.length) {
            hook.at("open", path);
            if (Arrays.equals(readAll(d.dir, name, path), content)) {
              return WriteOutcome.UNCHANGED;
            }
          }
          permissions = attrs.permissions();
        }
        commit(d.dir, name, path, content, permissions);
        PosixFileAttributes written = lstat(d.dir, name);
        if (written != null && written.isRegularFile()) {
          lastWrite = new Written(path, fileStat(path, written));
        }
        return attrs == null ? WriteOutcome.CREATED : WriteOutcome.MODIFIED;
      }
    } catch (IOException e) {
      throw ioFailure("write " + path, e);
    }
  }

  /**
   * Writes a temporary file next to the target and renames it over the target. The old file's
   * permissions are given at creation (less what the process umask clears): setting them later
   * would open the file by name again, and Java's {@code setPermissions} opens it read-only, which
   * blocks if the name was swapped for a FIFO.
   */
  private void commit(SecureDirectoryStream<Path> dir, String name, String path, byte[] content,
      Set<PosixFilePermission> permissions) throws IOException {
    Path temp = Path.of(tempName());
    FileAttribute<?>[] mode = permissions == null ? new FileAttribute<?>[0]
        : new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)};
    boolean committed = false;
    try {
      try (SeekableByteChannel channel = dir.newByteChannel(temp, CREATE, mode)) {
        ByteBuffer buffer = ByteBuffer.wrap(content);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
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

  private String tempName() {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return tempPrefix + HexFormat.of().formatHex(bytes);
  }

  /** Deletes a file (or a symlink, as a link) or a directory tree; returns the regular files deleted. */
  List<String> delete(String path) {
    lastWrite = null;
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
          try (SecureDirectoryStream<Path> child = openDirectory(d.dir, name, path, attrs.fileKey())) {
            deleteTree(child, path, deleted, true);
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

  /**
   * Deletes everything under {@code dir}; reports the regular files whose paths the sandbox can
   * address ({@code visible}), since the others were never listed or tracked.
   */
  private void deleteTree(SecureDirectoryStream<Path> dir, String prefix, List<String> deleted, boolean visible)
      throws IOException {
    for (String name : names(dir)) {
      String path = prefix + "/" + name;
      boolean shown = visible && SandboxPaths.isAcceptedName(name);
      BasicFileAttributes attrs = lstat(dir, name);
      if (attrs == null) {
        continue;
      }
      if (attrs.isDirectory()) {
        try (SecureDirectoryStream<Path> child = openDirectory(dir, name, path, attrs.fileKey())) {
          deleteTree(child, path, deleted, shown);
        }
        dir.deleteDirectory(Path.of(name));
      } else {
        dir.deleteFile(Path.of(name));
        if (attrs.isRegularFile() && shown) {
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
    lastWrite = null;
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
          try (SecureDirectoryStream<Path> child = openDirectory(source.dir, sourceName, from, attrs.fileKey())) {
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
      if (skipped(name)) {
        continue; // never reported: the sandbox cannot address it
      }
      String path = prefix + "/" + name;
      BasicFileAttributes attrs = lstat(dir, name);
      if (attrs == null) {
        continue;
      }
      if (attrs.isDirectory()) {
        try (SecureDirectoryStream<Path> child = openDirectory(dir, name, path, attrs.fileKey())) {
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
          String name = SandboxPaths.fileName(directory);
          BasicFileAttributes attrs = lstat(d.dir, name);
          if (attrs == null) {
            throw new NotFoundException("no such directory: " + directory);
          }
          if (!attrs.isDirectory()) {
            throw new PathRefusedException("path refused: " + directory + " is no longer a plain directory; it was swapped while being listed");
          }
          start = openDirectory(d.dir, name, directory, attrs.fileKey());
        }
      }
      try (SecureDirectoryStream<Path> owned = start != rootDir ? start : null) {
        walk(start, directory, recursive, (path, attrs, isDirectory) -> entries.put(path, isDirectory
            ? new FileEntry(path, FileEntry.Kind.DIRECTORY, 0)
            : new FileEntry(path, FileEntry.Kind.FILE, attrs.size())));
      }
    } catch (IOException e) {
      throw ioFailure("list " + (directory.isEmpty() ? "the root" : directory), e);
    }
    return entries.values().stream().limit(Math.max(0, limit)).toList();
  }

  /**
   * Stats every checkpointable regular file: one {@code fstatat} per entry plus the ctime stat, no
   * reads. Excluded directories, symlinks and special files are not traversed.
   */
  SortedMap<String, FileStat> statAll() {
    return statAll(DirectoryVisitor.NONE);
  }

  /** A directory a scan is about to list, with its file key (device and inode); the watcher registers it. */
  @FunctionalInterface
  interface DirectoryVisitor {
    DirectoryVisitor NONE = (path, fileKey) -> {};

    void visit(String path, Object fileKey);
  }

  /** {@link #statAll()}, telling {@code onDirectory} of every directory (the root as "") before listing it. */
  SortedMap<String, FileStat> statAll(DirectoryVisitor onDirectory) {
    SortedMap<String, FileStat> out = new TreeMap<>();
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      try {
        onDirectory.visit("", Files.readAttributes(root, BasicFileAttributes.class, NOFOLLOW_LINKS).fileKey());
      } catch (IOException e) {
        throw ioFailure("stat the root", e);
      }
      walk(rootDir, "", true, (path, attrs, isDirectory) -> {
        if (isDirectory) {
          onDirectory.visit(path, attrs.fileKey());
        } else {
          out.put(path, fileStat(path, attrs));
        }
      });
    } catch (IOException e) {
      throw ioFailure("scan the app files", e);
    }
    return out;
  }

  /**
   * The checkpointable regular files at {@code path} or under it: the file itself, every file of the
   * directory there (walked as {@link #statAll}, telling {@code onDirectory} of each directory before
   * listing it), or nothing (gone, a symlink, special, excluded, refused, or a parent that is no
   * longer a plain directory). A watcher's event names such a path; nothing outside is reached.
   */
  SortedMap<String, FileStat> statSubtree(String path, DirectoryVisitor onDirectory) {
    SortedMap<String, FileStat> out = new TreeMap<>();
    String[] segments = path.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      String name = segments[i];
      if (name.isEmpty() || skipped(name) || (i == 0 && name.startsWith("~"))) {
        return out;
      }
    }
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Descent d = descend(rootDir, path, Mode.EXISTING);
      if (d.dir == null) {
        return out;
      }
      try (SecureDirectoryStream<Path> dir = d.owned ? d.dir : null) {
        String name = SandboxPaths.fileName(path);
        PosixFileAttributes attrs = lstat(d.dir, name);
        if (attrs == null) {
          return out;
        }
        if (attrs.isRegularFile() && !ignoredPath(path, false)) {
          out.put(path, fileStat(path, attrs));
        } else if (attrs.isDirectory() && !ignoredPath(path, true)) {
          onDirectory.visit(path, attrs.fileKey());
          hook.at("walk", path);
          SecureDirectoryStream<Path> child;
          try {
            child = openDirectory(d.dir, name, path, attrs.fileKey());
          } catch (IOException | ChatBuilderException swappedOrGone) {
            return out; // the next event or scan sees what it became
          }
          try (child) {
            walk(child, path, true, (p, a, isDirectory) -> {
              if (isDirectory) {
                onDirectory.visit(p, a.fileKey());
              } else {
                out.put(p, fileStat(p, a));
              }
            });
          }
        }
      }
    } catch (PathRefusedException | NotFoundException | InvalidArgumentException changedUnderUs) {
      return out; // a parent became a symlink or a file: nothing of the app is there now
    } catch (IOException e) {
      throw ioFailure("scan " + path, e);
    }
    return out;
  }

  @FunctionalInterface
  private interface WalkVisitor {
    void visit(String path, PosixFileAttributes attrs, boolean isDirectory) throws IOException;
  }

  /**
   * Visits directories and regular files under {@code dir}, stat'ed through {@code dir}'s handle.
   * Directories are entered with {@link #openDirectory}, so one swapped for a symlink or a FIFO
   * mid-walk is skipped, never followed or blocked on.
   */
  private void walk(SecureDirectoryStream<Path> dir, String prefix, boolean recursive, WalkVisitor visitor) throws IOException {
    walkHandles(dir, prefix, recursive, (d, name, path, attrs, isDirectory) -> visitor.visit(path, attrs, isDirectory));
  }

  /** {@link #walk}, also naming the directory handle each entry was stat'ed through and its name there. */
  private interface HandleVisitor {
    void visit(SecureDirectoryStream<Path> dir, String name, String path, PosixFileAttributes attrs, boolean isDirectory)
        throws IOException;

    /** After the last entry of {@code dir}, before its handle is closed. */
    default void leave(SecureDirectoryStream<Path> dir) throws IOException {}
  }

  /** What {@link #readEach} hands over: a file's path and bytes; called from several threads at once. */
  @FunctionalInterface
  interface FileBytesVisitor {
    void visit(String path, byte[] content);
  }

  /** Files of one directory read per task of {@link #readEach}. */
  private static final int READ_BATCH = 16;

  /**
   * Reads every checkpointable regular file {@code wanted(path, size)} accepts, walking as
   * {@link #statAll} does and opening each file through its directory's handle (one descent per
   * directory instead of one per file, and no path stat): the same files, by the same confined
   * rules, as statAll followed by {@link #read} of each. The files of a directory are read in
   * batches on {@code pool} (the handle stays open until they are done) and handed to
   * {@code visitor} on those threads, in no particular order. A file that became something else (a
   * FIFO, a symlink) or grew over the limit between its stat and its open is skipped.
   */
  void readEach(java.util.function.BiPredicate<String, Long> wanted, FileBytesVisitor visitor,
      java.util.concurrent.ExecutorService pool) {
    java.util.Map<SecureDirectoryStream<Path>, List<String[]>> pending = new java.util.IdentityHashMap<>();
    java.util.Map<SecureDirectoryStream<Path>, List<java.util.concurrent.Future<?>>> running = new java.util.IdentityHashMap<>();
    HandleVisitor reader = new HandleVisitor() {
      @Override
      public void visit(SecureDirectoryStream<Path> dir, String name, String path, PosixFileAttributes attrs, boolean isDirectory) {
        if (isDirectory || !wanted.test(path, attrs.size())) {
          return;
        }
        List<String[]> batch = pending.computeIfAbsent(dir, d -> new ArrayList<>());
        batch.add(new String[] {name, path});
        if (batch.size() == READ_BATCH) {
          submit(dir, pending.remove(dir));
        }
      }

      private void submit(SecureDirectoryStream<Path> dir, List<String[]> batch) {
        running.computeIfAbsent(dir, d -> new ArrayList<>()).add(pool.submit(() -> {
          for (String[] file : batch) {
            byte[] bytes;
            try {
              hook.at("open", file[1]);
              bytes = readAll(dir, file[0], file[1]);
            } catch (IOException | ChatBuilderException changedUnderUs) {
              continue;
            }
            visitor.visit(file[1], bytes);
          }
          return null;
        }));
      }

      @Override
      public void leave(SecureDirectoryStream<Path> dir) {
        List<String[]> rest = pending.remove(dir);
        if (rest != null) {
          submit(dir, rest);
        }
        List<java.util.concurrent.Future<?>> tasks = running.remove(dir);
        if (tasks == null) {
          return;
        }
        try {
          for (java.util.concurrent.Future<?> task : tasks) {
            task.get();
          }
        } catch (java.util.concurrent.ExecutionException e) {
          tasks.forEach(t -> t.cancel(true));
          if (e.getCause() instanceof RuntimeException r) {
            throw r;
          }
          throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
          tasks.forEach(t -> t.cancel(true));
          Thread.currentThread().interrupt();
          throw new io.chatbuilder.core.TimeoutException("search interrupted");
        }
      }
    };
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      walkHandles(rootDir, "", true, reader);
    } catch (IOException e) {
      throw ioFailure("search the app files", e);
    } finally {
      running.values().forEach(tasks -> tasks.forEach(t -> t.cancel(true)));
    }
  }

  private void walkHandles(SecureDirectoryStream<Path> dir, String prefix, boolean recursive, HandleVisitor visitor)
      throws IOException {
    for (String name : names(dir)) {
      // A top-level "~x" is a path normalize() refuses as home-relative: not addressable either.
      if (skipped(name) || (prefix.isEmpty() && name.startsWith("~"))) {
        continue;
      }
      String path = prefix.isEmpty() ? name : prefix + "/" + name;
      PosixFileAttributes attrs;
      try {
        attrs = lstat(dir, name);
      } catch (IOException gone) {
        continue;
      }
      if (attrs == null) {
        continue;
      }
      if ((attrs.isRegularFile() || attrs.isDirectory()) && ignoredPath(path, attrs.isDirectory())) {
        continue; // ignored by the app's .gitignore: never listed, scanned or searched
      }
      if (attrs.isRegularFile()) {
        visitor.visit(dir, name, path, attrs, false);
      } else if (attrs.isDirectory()) {
        visitor.visit(dir, name, path, attrs, true);
        if (recursive) {
          hook.at("walk", path);
          SecureDirectoryStream<Path> child;
          try {
            child = openDirectory(dir, name, path, attrs.fileKey());
          } catch (IOException | ChatBuilderException swappedOrGone) {
            continue; // deleted or replaced since the stat: the next scan sees what it became
          }
          try (child) {
            walkHandles(child, path, true, visitor);
          }
        }
      }
    }
    visitor.leave(dir);
  }

  /**
   * The stat of one regular file, empty if there is none (or it is not a regular file). Right after
   * {@link #write} of the same path it is the stat taken through the write's directory handle, which
   * saves a second descent per write (the change tracker asks for it at once); a later change still
   * shows in ctime.
   */
  Optional<FileStat> stat(String path) {
    Written written = lastWrite;
    lastWrite = null;
    if (written != null && written.path().equals(path)) {
      return Optional.of(written.stat());
    }
    try (SecureDirectoryStream<Path> rootDir = openRoot()) {
      Descent d = descend(rootDir, path, Mode.EXISTING);
      if (d.dir == null) {
        return Optional.empty();
      }
      try (SecureDirectoryStream<Path> dir = d.owned ? d.dir : null) {
        PosixFileAttributes attrs = lstat(d.dir, SandboxPaths.fileName(path));
        if (attrs == null || !attrs.isRegularFile()) {
          return Optional.empty();
        }
        return Optional.of(fileStat(path, attrs));
      }
    } catch (PathRefusedException | NotFoundException | InvalidArgumentException changedUnderUs) {
      return Optional.empty(); // a parent became a symlink or a file: no regular file there now
    } catch (IOException e) {
      throw ioFailure("stat " + path, e);
    }
  }

  /**
   * A cache stat from the handle's {@code fstatat} plus ctime, device and inode from a path stat,
   * taken only if that stat reached the same inode. Otherwise ctime is unknown, which makes the file
   * compare as changed.
   */
  private FileStat fileStat(String path, PosixFileAttributes attrs) throws IOException {
    long size = attrs.size();
    long mtime = nanos(attrs.lastModifiedTime());
    Object key = attrs.fileKey();
    hook.at("ctime", path);
    try {
      Map<String, Object> byPath = Files.readAttributes(root.resolve(path), PATH_STAT, NOFOLLOW_LINKS);
      if (key != null && key.equals(byPath.get("fileKey"))) {
        return new FileStat(size, mtime, nanos(byPath.get("ctime")), (Long) byPath.get("dev"), (Long) byPath.get("ino"));
      }
    } catch (IOException changedUnderUs) {
      // A parent was swapped or the file is gone: the path stat describes nothing we may use.
    }
    return FileStat.withoutCtime(size, mtime);
  }

  private static long nanos(Object time) {
    return ((FileTime) time).to(TimeUnit.NANOSECONDS);
  }

  /**
   * Whether a name is never listed or scanned: names the sandbox API refuses (the SDK's own files and
   * in-flight temporary files among them) and excluded names.
   */
  void exclusions(Exclusions exclusions) {
    this.exclusions = exclusions;
  }

  /** Whether the app's ignore-file patterns exclude this path (a file, or a directory). */
  private boolean ignoredPath(String path, boolean directory) {
    Exclusions e = exclusions;
    return e.hasIgnorePatterns() && (directory ? e.isExcludedDirectory(path) : e.isExcluded(path));
  }

  boolean skipped(String name) {
    return exclusions.isExcludedName(name) || !SandboxPaths.isAcceptedName(name);
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
        PosixFileAttributes attrs = lstat(current, segment);
        if (attrs == null) {
          if (mode != Mode.WRITE) {
            closeIfOwned(current, rootDir);
            return new Descent(null, false, false);
          }
          // Whatever is there after the attempt, ours or a racer's, is checked below; a racer that
          // removes it each time gets a few more attempts, then an error.
          IOException failure = null;
          for (int attempt = 0; attrs == null && attempt < 3; attempt++) {
            failure = createDirectory(rootDir, current, segment, walked);
            attrs = lstat(current, segment);
          }
          if (attrs == null && failure instanceof NoSuchFileException) {
            throw new NotFoundException("cannot create directory " + walked + ": the directory above it was removed meanwhile");
          }
          if (attrs == null) {
            throw new SandboxException("cannot create directory " + walked + ": something else removed it right after"
                + " each of 3 attempts" + (failure == null ? "" : " (" + reason(failure) + ")"), failure);
          }
        }
        if (attrs.isSymbolicLink()) {
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
        SecureDirectoryStream<Path> next = openDirectory(current, segment, walked, attrs.fileKey());
        closeIfOwned(current, rootDir);
        current = next;
      }
      return new Descent(current, current != rootDir, false);
    } catch (IOException | RuntimeException e) {
      closeIfOwned(current, rootDir);
      throw e;
    }
  }

  /**
   * Creates directory {@code name} in {@code parent} without ever going through a path an app can
   * change: in the root itself by path (the root's path is trusted and {@code mkdir} does not follow
   * its last component), deeper as a temporary directory in the root moved into the parent's handle
   * with {@code renameat}. Returns the failure if a racer got there first (the caller checks what is
   * there now), null on success.
   */
  private IOException createDirectory(SecureDirectoryStream<Path> rootDir, SecureDirectoryStream<Path> parent,
      String name, String walked) throws IOException {
    if (parent == rootDir) {
      try {
        Files.createDirectory(root.resolve(name));
        return null;
      } catch (FileAlreadyExistsException raced) {
        return raced;
      }
    }
    Path temp = Path.of(tempName());
    Files.createDirectory(root.resolve(temp));
    boolean moved = false;
    try {
      hook.at("mkdir", walked);
      // Onto a missing name: creates it. Onto an empty directory a racer made: replaces it, which is
      // the same. Onto anything else: fails, and the caller sees what is there.
      rootDir.move(temp, parent, Path.of(name));
      moved = true;
      return null;
    } catch (IOException raced) {
      return raced;
    } finally {
      if (!moved) {
        try {
          rootDir.deleteDirectory(temp);
        } catch (IOException ignored) {
          // Already gone.
        }
      }
    }
  }

  private static void closeIfOwned(SecureDirectoryStream<Path> dir, SecureDirectoryStream<Path> rootDir) throws IOException {
    if (dir != null && dir != rootDir) {
      dir.close();
    }
  }

  private static void closeAll(Deque<SecureDirectoryStream<Path>> handles) throws IOException {
    while (!handles.isEmpty()) {
      handles.removeLast().close();
    }
  }

  /**
   * Opens directory {@code name} of {@code dir}, which {@code fstatat} just showed as the directory
   * with file key {@code expectedKey}. {@code name/.} makes the open fail on anything but a directory
   * (so a FIFO cannot block it); the key check refuses a directory reached through a symlink that
   * replaced {@code name} meanwhile. The handle returned is always the directory that was checked.
   */
  private SecureDirectoryStream<Path> openDirectory(SecureDirectoryStream<Path> dir, String name, String shown,
      Object expectedKey) throws IOException {
    SecureDirectoryStream<Path> child;
    try {
      child = dir.newDirectoryStream(Path.of(name + "/."), NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NotFoundException("no such directory: " + shown);
    } catch (IOException e) {
      // ENOTDIR: swapped for a file, FIFO, socket or a symlink to one.
      throw swapped(shown, e);
    }
    Object key;
    try {
      key = child.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
    } catch (IOException | RuntimeException e) {
      child.close();
      throw e;
    }
    if (expectedKey == null || !expectedKey.equals(key)) {
      child.close();
      throw new PathRefusedException("path refused: " + shown + " is no longer the directory that was checked (a symbolic"
          + " link or another directory took its place); it was swapped while being used");
    }
    return child;
  }

  private static PathRefusedException swapped(String shown, IOException e) {
    return new PathRefusedException("path refused: " + shown + " is no longer a plain directory (" + reason(e)
        + "); it was swapped while being used", e);
  }

  /** {@code fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW)}, null if there is nothing. */
  private static PosixFileAttributes lstat(SecureDirectoryStream<Path> dir, String name) throws IOException {
    try {
      return dir.getFileAttributeView(Path.of(name), PosixFileAttributeView.class, NOFOLLOW_LINKS).readAttributes();
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static List<String> names(SecureDirectoryStream<Path> dir) throws IOException {
    // Each SecureDirectoryStream iterates once; open a fresh handle on "." (the same directory, it
    // cannot be swapped) to list it.
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
    DirectoryStream<Path> stream = Files.newDirectoryStream(rootDirectory);
    if (stream instanceof SecureDirectoryStream<Path> secure) {
      return secure;
    }
    stream.close();
    throw new SandboxException("this platform has no secure directory handles (openat); the local sandbox needs Linux");
  }

  private static PathRefusedException notRegular(String path) {
    return new PathRefusedException("path refused: " + path
        + " is not a regular file (a FIFO, socket or device); such files are never read or written");
  }

  private TooLargeException tooLarge(String path, long size) {
    return new TooLargeException(path + " is " + size + " bytes, over the " + maxFileBytes + " byte limit");
  }

  /** The errno text, without file names (they may be in-flight temporary names). */
  private static String reason(IOException e) {
    if (e instanceof FileSystemException fse) {
      return fse.getReason() != null ? fse.getReason() : fse.getClass().getSimpleName();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static RuntimeException ioFailure(String what, IOException e) {
    if (e instanceof NoSuchFileException) {
      // The name in the exception may be an in-flight temporary file: not something to show.
      return new NotFoundException("cannot " + what + ": it, or a directory on the way, was removed meanwhile");
    }
    String message = String.valueOf(e.getMessage());
    if (message.contains("symbolic link") || message.contains("Not a directory")) {
      return new PathRefusedException("path refused: cannot " + what + ": " + reason(e)
          + " (something on the way was swapped meanwhile)", e);
    }
    return new SandboxException("cannot " + what + ": " + reason(e), e);
  }
}
