package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.StatusListener;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A content-addressed store of installed {@code node_modules} trees, keyed by the SHA-256 of
 * {@code package.json} + {@code package-lock.json}, from which a draft's dependencies are linked
 * instead of installed (as pnpm links from its store): with a warm entry, an install is a walk of
 * hard links, no npm, no network.
 *
 * <pre>{@code
 * DependencyCache deps = DependencyCache.builder(Path.of("var/deps"),
 *     (id, dir) -> LocalSandbox.builder(dir).id(id).build()).build();
 * deps.warm(ViteTemplates.react(), StatusListener.NONE);   // optional: fill it before the first app
 * ViteDraftRuntime.builder(sandboxes).dependencyCache(deps, s -> Optional.of(((LocalSandbox) s).root()))
 * }</pre>
 *
 * <p><b>Isolation.</b> An entry is filled by {@code npm ci --ignore-scripts} in a sandbox of its own
 * (the host's {@code installSandboxes}) on a fresh directory that holds only the two files, so no
 * app's code and no app's {@code .npmrc} takes part, and the lockfile's integrity hashes decide what
 * lands there. Then, with every process of that sandbox gone, the host makes each file read-only
 * and, when the host runs as root, gives it to {@link Builder#owner} (not the uid sandboxes map
 * their user to): inside any app's sandbox such a file is then neither writable nor
 * {@code chmod}-able, so the hard links share an inode no app can change. An app may still delete or
 * replace its own links (its {@code node_modules} directories are its own), which changes only its
 * tree. Where the files cannot be given away (a host not running as root), they are copied instead
 * of linked: slower, never shared. The store itself is bound into no sandbox.
 *
 * <p><b>Fails closed.</b> Before each use every file of the entry is checked against the entry's
 * index (type, size, mode, owner; the index itself carries its own hash); a missing, damaged or
 * unusable entry is reported as {@link Unusable} and the runtime installs with npm as before, with a
 * status saying why. A damaged entry is removed, so the next install fills it again.
 *
 * <p>The store must be on the same file system as the apps' directories (hard links and the final
 * rename of the linked tree into the app). Entries are never evicted. Thread-safe.
 */
public final class DependencyCache {
  private static final Logger log = LoggerFactory.getLogger(DependencyCache.class);
  /** Part of every key: a change of the layout or of how entries are filled makes new ones. */
  private static final String FORMAT = "chatbuilder-deps-1";
  private static final String INDEX = "index.txt";
  private static final String CLEANUP_SCRIPT = "require('fs').rmSync('node_modules', {recursive: true, force: true})";

  private final Path directory;
  private final Path entries;
  private final Path work;
  private final BuildSandboxes installSandboxes;
  private final Npm npm;
  private final int owner;
  private final boolean giveAway;
  private final Map<String, Object> fills = new ConcurrentHashMap<>();

  private DependencyCache(Builder b) {
    this.directory = b.directory;
    this.entries = b.directory.resolve("entries");
    this.work = b.directory.resolve("work");
    this.installSandboxes = b.installSandboxes;
    this.npm = new Npm(b.installTimeout, List.of());
    this.owner = b.owner;
    this.giveAway = b.giveAway;
  }

  /**
   * A builder. {@code directory} is the store (outside every app's directory, on their file system);
   * {@code installSandboxes} opens the sandbox that fills an entry, with the isolation and network
   * policy of an app's install (with sandbox-local: {@code (id, dir) -> LocalSandbox.builder(dir).id(id).build()}).
   */
  public static Builder builder(Path directory, BuildSandboxes installSandboxes) {
    return new Builder(directory, installSandboxes);
  }

  /** Fills the entry of a template's {@code package.json} and lockfile, if it is not there yet. */
  public void warm(AppTemplate template, StatusListener listener) {
    Objects.requireNonNull(template, "template == null");
    StatusListener l = Settings.safe(listener, log);
    byte[] manifest = template.files().get(Lockfiles.MANIFEST);
    byte[] lock = template.files().get(Lockfiles.LOCKFILE);
    if (manifest == null || lock == null) {
      throw new io.chatbuilder.core.InvalidArgumentException("template " + template.id() + " has no package.json and package-lock.json");
    }
    entry(manifest, lock, line -> { }, l, new Cancellation());
  }

  /** The directory of the store. */
  public Path directory() {
    return directory;
  }

  /** Why the cache was not used for an install: the runtime catches it and installs with npm. */
  static final class Unusable extends io.chatbuilder.core.SandboxException {
    private static final long serialVersionUID = 1L;

    Unusable(String message) {
      super(message);
    }
  }

  /** What {@link #link} did. */
  record Linked(int files, boolean hardLinks) {}

  /**
   * Makes {@code appRoot/node_modules} the entry's tree for these two files (filling the entry
   * first when it is missing): built where no sandbox can see it, then renamed into the app. An
   * existing {@code node_modules} is removed first inside the app's {@code sandbox}, so the host
   * never walks a tree the app's code could be changing.
   *
   * @throws Unusable if the entry cannot be used; nothing of the app changed then but a removed node_modules
   * @throws StepFailure if filling the entry failed (npm's error)
   */
  Linked link(Sandbox sandbox, Path appRoot, byte[] manifest, byte[] lock, Consumer<String> output, StatusListener listener,
      Cancellation cancellation) throws Unusable {
    Path entry;
    try {
      entry = entry(manifest, lock, output, listener, cancellation);
    } catch (StepFailure e) {
      throw new Unusable(e.getMessage());
    }
    Index index = verified(entry);
    Path scratch = null;
    try {
      Files.createDirectories(work);
      scratch = Files.createDirectory(work.resolve("link-" + UUID.randomUUID()));
      Path tree = scratch.resolve("node_modules");
      boolean hardLinks = index.owner != currentUid(scratch);
      materialize(index, entry.resolve("node_modules"), tree, hardLinks);
      Path target = appRoot.resolve("node_modules");
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        removeInSandbox(sandbox, cancellation);
      }
      try {
        Files.move(tree, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        throw new Unusable("the dependency cache is on another file system than the app");
      } catch (IOException e) {
        throw new Unusable("cannot move the linked node_modules into the app: " + describe(e));
      }
      return new Linked(index.files.size(), hardLinks);
    } catch (IOException e) {
      throw new Unusable("cannot link from the dependency cache: " + describe(e));
    } finally {
      if (scratch != null) {
        deleteTree(scratch);
      }
    }
  }

  /**
   * Hashes every file of the entry of these two files against its index; a difference removes the
   * entry and is returned ("the dependency cache entry is damaged: ..."). Empty when the entry is
   * intact.
   */
  Optional<String> checkContents(byte[] manifest, byte[] lock) {
    Path entry = entries.resolve(key(manifest, lock));
    if (!Files.isRegularFile(entry.resolve(INDEX), LinkOption.NOFOLLOW_LINKS)) {
      // removed since the link (found damaged by another start): what was linked cannot be checked
      return Optional.of("the dependency cache entry is gone");
    }
    Index index;
    try {
      index = verified(entry);
    } catch (Unusable e) {
      return Optional.of(e.getMessage());
    }
    for (Index.FileEntry f : index.files) {
      try {
        if (!Index.sha256(entry.resolve("node_modules").resolve(f.path())).equals(f.sha256())) {
          return Optional.of(damaged(entry, "the content of " + f.path() + " changed").getMessage());
        }
      } catch (IOException e) {
        return Optional.of(damaged(entry, f.path() + " cannot be read").getMessage());
      }
    }
    return Optional.empty();
  }

  /** The entry's directory, filled first when missing. */
  private Path entry(byte[] manifest, byte[] lock, Consumer<String> output, StatusListener listener, Cancellation cancellation) {
    String key = key(manifest, lock);
    Path entry = entries.resolve(key);
    if (Files.isRegularFile(entry.resolve(INDEX), LinkOption.NOFOLLOW_LINKS)) {
      return entry;
    }
    synchronized (fills.computeIfAbsent(key, k -> new Object())) {
      if (!Files.isRegularFile(entry.resolve(INDEX), LinkOption.NOFOLLOW_LINKS)) {
        fill(key, entry, manifest, lock, output, listener, cancellation);
      }
      return entry;
    }
  }

  static String key(byte[] manifest, byte[] lock) {
    MessageDigest md = ContentHash.newSha256();
    md.update(FORMAT.getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    md.update(Npm.dependencyHash(Optional.of(manifest), Optional.of(lock)).getBytes(StandardCharsets.UTF_8));
    return ContentHash.hex(md.digest());
  }

  private void fill(String key, Path entry, byte[] manifest, byte[] lock, Consumer<String> output, StatusListener listener,
      Cancellation cancellation) {
    listener.onStatus("filling the dependency cache (npm ci in a sandbox of its own)");
    Path scratch;
    try {
      Files.createDirectories(work);
      Files.createDirectories(entries);
      scratch = Files.createDirectory(work.resolve("fill-" + UUID.randomUUID()));
    } catch (IOException e) {
      throw new StepFailure("cannot create the dependency cache's directories: " + describe(e));
    }
    Path root = scratch.resolve("app");
    Path staged = scratch.resolve("entry");
    try {
      Files.createDirectory(root);
      Files.write(root.resolve(Lockfiles.MANIFEST), manifest);
      Files.write(root.resolve(Lockfiles.LOCKFILE), lock);
      Sandbox sandbox = installSandboxes.open("deps-" + key.substring(0, 16), root);
      CommandResult result;
      Npm.Output out = new Npm.Output(output);
      try {
        result = npm.ci(sandbox, out, cancellation);
      } finally {
        sandbox.close(); // every process of the install is gone before the host touches its files
      }
      if (!result.succeeded()) {
        throw new StepFailure("filling the dependency cache failed (npm exit code " + result.exitCode() + "): " + out.error());
      }
      Files.createDirectory(staged);
      Files.move(root.resolve("node_modules"), staged.resolve("node_modules"), StandardCopyOption.ATOMIC_MOVE);
      Index index = Index.scan(staged.resolve("node_modules"));
      int fileOwner = seal(staged.resolve("node_modules"), index);
      Files.writeString(staged.resolve(INDEX), index.withOwner(fileOwner).render(), StandardCharsets.UTF_8);
      try {
        Files.move(staged, entry, StandardCopyOption.ATOMIC_MOVE);
      } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
        log.info("dependency cache entry {} appeared meanwhile (another host?); keeping it", key);
      }
      listener.onStatus("dependency cache filled: " + index.files.size() + " files");
    } catch (IOException e) {
      throw new StepFailure("cannot fill the dependency cache: " + describe(e));
    } catch (UncheckedIOException e) {
      throw new StepFailure("cannot fill the dependency cache: " + describe(e.getCause()));
    } finally {
      deleteTree(scratch);
    }
  }

  /**
   * Makes every file of a filled tree read-only and, where the host may, another uid's: then no
   * sandbox (whose user is the host's uid) can write or chmod the inodes apps get linked. Returns
   * the files' owner.
   */
  private int seal(Path tree, Index index) throws IOException {
    int self = currentUid(tree);
    int fileOwner = self;
    boolean giveAway = this.giveAway && self == 0 && owner != self;
    for (Index.FileEntry f : index.files) {
      Path p = tree.resolve(f.path());
      Files.setAttribute(p, "unix:mode", f.mode(), LinkOption.NOFOLLOW_LINKS);
      if (giveAway) {
        Files.setAttribute(p, "unix:uid", owner, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", owner, LinkOption.NOFOLLOW_LINKS);
        fileOwner = owner;
      }
    }
    return fileOwner;
  }

  /** The entry's index after checking every file against it. */
  private Index verified(Path entry) throws Unusable {
    Index index;
    try {
      index = Index.parse(Files.readString(entry.resolve(INDEX), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw damaged(entry, "its index cannot be read (" + describe(e) + ")");
    } catch (RuntimeException e) {
      throw damaged(entry, "its index cannot be read (" + e.getMessage() + ")");
    }
    Path tree = entry.resolve("node_modules");
    for (Index.FileEntry f : index.files) {
      Path p = tree.resolve(f.path());
      Map<String, Object> a;
      try {
        a = Files.readAttributes(p, "unix:mode,uid,size", LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        throw damaged(entry, f.path() + " is missing");
      }
      int mode = (Integer) a.get("mode");
      if ((mode & 0170000) != 0100000 || (mode & 07777) != f.mode() || (Long) a.get("size") != f.size()
          || (Integer) a.get("uid") != index.owner) {
        throw damaged(entry, f.path() + " differs from the index (type, mode, size or owner)");
      }
    }
    return index;
  }

  private Unusable damaged(Path entry, String why) {
    log.warn("dependency cache entry {} is damaged: {}; removing it", entry.getFileName(), why);
    Path doomed = work.resolve("damaged-" + UUID.randomUUID());
    try {
      Files.createDirectories(work);
      Files.move(entry, doomed, StandardCopyOption.ATOMIC_MOVE);
      deleteTree(doomed);
    } catch (IOException e) {
      log.warn("cannot remove the damaged dependency cache entry {}: {}", entry.getFileName(), e.toString());
    }
    return new Unusable("the dependency cache entry is damaged: " + why);
  }

  /** Builds the tree: directories of its own, each file a hard link to the entry's (or a copy), the symlinks as recorded. */
  private static void materialize(Index index, Path from, Path to, boolean hardLinks) throws IOException {
    Files.createDirectory(to);
    for (String d : index.directories) {
      Files.createDirectories(to.resolve(d));
    }
    for (Index.FileEntry f : index.files) {
      Path target = to.resolve(f.path());
      if (hardLinks) {
        Files.createLink(target, from.resolve(f.path()));
      } else {
        Files.copy(from.resolve(f.path()), target);
        Files.setAttribute(target, "unix:mode", f.mode() | 0200, LinkOption.NOFOLLOW_LINKS); // the app's own copy
      }
    }
    for (Map.Entry<String, String> l : index.symlinks.entrySet()) {
      Files.createSymbolicLink(to.resolve(l.getKey()), Path.of(l.getValue()));
    }
  }

  /** Removes the app's node_modules from inside its sandbox: whatever the app made of it, the host never walks it. */
  private void removeInSandbox(Sandbox sandbox, Cancellation cancellation) throws Unusable {
    CommandResult r;
    try {
      r = sandbox.run(new io.chatbuilder.core.sandbox.CommandRequest(
        List.of("node", "-e", NodeScripts.evalArgument(CLEANUP_SCRIPT)), "", Map.of(), Optional.of(Duration.ofMinutes(2))),
        io.chatbuilder.core.sandbox.CommandListener.NONE, cancellation);
    } catch (io.chatbuilder.core.ChatBuilderException e) {
      throw new Unusable("cannot remove the app's old node_modules: " + e.getMessage());
    }
    if (!r.succeeded()) {
      throw new Unusable("cannot remove the app's old node_modules (exit code " + r.exitCode() + "): " + r.stderr().strip());
    }
  }

  /** An I/O failure without host paths (statuses reach the UI): the kind, and the reason where there is one. */
  static String describe(IOException e) {
    if (e instanceof java.nio.file.FileSystemException f) {
      String kind = f.getClass().getSimpleName().replace("Exception", "");
      return f.getReason() == null ? kind : kind + ": " + f.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static int currentUid(Path hostOwned) throws IOException {
    return (Integer) Files.getAttribute(hostOwned, "unix:uid", LinkOption.NOFOLLOW_LINKS);
  }

  /** Deletes a tree of the store (never an app's: those are removed inside their sandbox). */
  static void deleteTree(Path root) {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      log.warn("cannot delete {}: {}", root, e.toString());
    }
  }

  /**
   * What an entry holds: its directories, regular files (path, mode, size, SHA-256 of the content
   * when filled) and symbolic links, in walk order; rendered as lines ending with a hash of the
   * lines before, so a cut or edited index is refused.
   */
  static final class Index {
    record FileEntry(String path, int mode, long size, String sha256) {}

    final List<String> directories;
    final List<FileEntry> files;
    final Map<String, String> symlinks;
    final int owner;

    private Index(List<String> directories, List<FileEntry> files, Map<String, String> symlinks, int owner) {
      this.directories = List.copyOf(directories);
      this.files = List.copyOf(files);
      this.symlinks = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(symlinks));
      this.owner = owner;
    }

    Index withOwner(int uid) {
      return new Index(directories, files, symlinks, uid);
    }

    /**
     * Reads a filled tree. Refuses what a tree from npm has no business holding: special files,
     * names with control characters, symbolic links that are absolute or lead out of the tree.
     */
    static Index scan(Path tree) throws IOException {
      List<String> dirs = new ArrayList<>();
      List<FileEntry> files = new ArrayList<>();
      Map<String, String> links = new java.util.LinkedHashMap<>();
      Files.walkFileTree(tree, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
          if (!dir.equals(tree)) {
            dirs.add(relative(tree, dir));
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          String rel = relative(tree, file);
          if (attrs.isSymbolicLink()) {
            Path target = Files.readSymbolicLink(file);
            Path resolved = file.getParent().resolve(target).normalize();
            if (target.isAbsolute() || !resolved.startsWith(tree)) {
              throw new IOException("refusing a symbolic link that leads out of node_modules: " + rel);
            }
            links.put(rel, target.toString());
          } else if (attrs.isRegularFile()) {
            Map<String, Object> unix = Files.readAttributes(file, "unix:mode,nlink", LinkOption.NOFOLLOW_LINKS);
            if ((Integer) unix.get("nlink") != 1) {
              // npm never makes hard links; one here could be another inode of the host, which seal() would change
              throw new IOException("refusing a file with more than one hard link in node_modules: " + rel);
            }
            int mode = (Integer) unix.get("mode") & 0555;
            files.add(new FileEntry(rel, mode, attrs.size(), sha256(file)));
          } else {
            throw new IOException("refusing a special file in node_modules: " + rel);
          }
          return FileVisitResult.CONTINUE;
        }
      });
      return new Index(dirs, files, links, -1);
    }

    private static String relative(Path tree, Path p) {
      String rel = tree.relativize(p).toString();
      for (int i = 0; i < rel.length(); i++) {
        if (rel.charAt(i) < 0x20 || rel.charAt(i) == 0x7f) {
          throw new UncheckedIOException(new IOException("refusing a file name with a control character in node_modules"));
        }
      }
      return rel;
    }

    String render() {
      StringBuilder s = new StringBuilder();
      s.append(FORMAT).append('\n').append("owner ").append(owner).append('\n');
      for (String d : directories) {
        s.append("d ").append(d).append('\n');
      }
      for (FileEntry f : files) {
        s.append("f ").append(Integer.toOctalString(f.mode())).append(' ').append(f.size()).append(' ').append(f.sha256())
            .append(' ').append(f.path()).append('\n');
      }
      for (Map.Entry<String, String> l : symlinks.entrySet()) {
        s.append("l ").append(l.getKey()).append('\0').append(l.getValue()).append('\n');
      }
      return s + "end " + ContentHash.sha256(s.toString().getBytes(StandardCharsets.UTF_8)) + "\n";
    }

    static Index parse(String text) {
      int end = text.lastIndexOf("end ");
      if (end < 0 || !text.endsWith("\n")) {
        throw new IllegalArgumentException("no end line");
      }
      String body = text.substring(0, end);
      if (!text.substring(end + 4).strip().equals(ContentHash.sha256(body.getBytes(StandardCharsets.UTF_8)))) {
        throw new IllegalArgumentException("its hash does not match");
      }
      String[] lines = body.split("\n");
      if (lines.length < 2 || !lines[0].equals(FORMAT) || !lines[1].startsWith("owner ")) {
        throw new IllegalArgumentException("unknown format");
      }
      int owner = Integer.parseInt(lines[1].substring(6));
      List<String> dirs = new ArrayList<>();
      List<FileEntry> files = new ArrayList<>();
      Map<String, String> links = new java.util.LinkedHashMap<>();
      for (int i = 2; i < lines.length; i++) {
        String line = lines[i];
        if (line.startsWith("d ")) {
          dirs.add(safe(line.substring(2)));
        } else if (line.startsWith("f ")) {
          String[] p = line.split(" ", 5);
          files.add(new FileEntry(safe(p[4]), Integer.parseInt(p[1], 8), Long.parseLong(p[2]), p[3]));
        } else if (line.startsWith("l ")) {
          int nul = line.indexOf('\0');
          String link = safe(line.substring(2, nul));
          String target = line.substring(nul + 1);
          Path resolved = Path.of("/x", link).getParent().resolve(target).normalize();
          if (Path.of(target).isAbsolute() || !resolved.startsWith("/x")) {
            throw new IllegalArgumentException("a symbolic link leads out of node_modules: " + link);
          }
          links.put(link, target);
        } else {
          throw new IllegalArgumentException("unknown line " + i);
        }
      }
      return new Index(dirs, files, links, owner);
    }

    /** A relative path that stays in the tree (the index is the store's, but it is checked anyway). */
    private static String safe(String rel) {
      Path p = Path.of(rel);
      if (rel.isEmpty() || p.isAbsolute() || !p.normalize().equals(p) || p.startsWith("..")) {
        throw new IllegalArgumentException("bad path in index: " + rel);
      }
      return rel;
    }

    private static String sha256(Path file) throws IOException {
      MessageDigest md = ContentHash.newSha256();
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        byte[] buf = new byte[65536];
        for (int n; (n = in.read(buf)) > 0; ) {
          md.update(buf, 0, n);
        }
      }
      return ContentHash.hex(md.digest());
    }
  }

  /** Builds a {@link DependencyCache}. */
  public static final class Builder {
    private final Path directory;
    private final BuildSandboxes installSandboxes;
    private int owner = 65534;
    private boolean giveAway = true;
    private Duration installTimeout = Duration.ofMinutes(10);

    private Builder(Path directory, BuildSandboxes installSandboxes) {
      this.directory = Objects.requireNonNull(directory, "directory == null").toAbsolutePath().normalize();
      this.installSandboxes = Objects.requireNonNull(installSandboxes, "installSandboxes == null");
    }

    /**
     * The uid (and gid) the store's files are given when the host runs as root (default 65534,
     * {@code nobody}): any uid but the host's, which is the one sandboxes map their user to.
     */
    public Builder owner(int uid) {
      if (uid <= 0) {
        throw new IllegalArgumentException("owner must be a uid other than root's");
      }
      this.owner = uid;
      return this;
    }

    /** Keeps the files the host's own, as on a host that does not run as root (tests of the copying path). */
    Builder keepOwnerForTests() {
      this.giveAway = false;
      return this;
    }

    /** How long filling an entry ({@code npm ci}) may take (default 10 minutes). */
    public Builder installTimeout(Duration timeout) {
      this.installTimeout = Settings.positive(timeout, "installTimeout");
      return this;
    }

    public DependencyCache build() {
      return new DependencyCache(this);
    }
  }
}
