package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.TextSearch;
import io.chatbuilder.core.sandbox.WriteOutcome;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.TooLargeException;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Sandbox} in a directory of the host: confined file tools, change tracking with a stat
 * cache, search, and a command runner under a {@link CommandPolicy}, inside bubblewrap where
 * available.
 *
 * <pre>{@code
 * LocalSandbox sandbox = LocalSandbox.builder(Path.of("apps/todo"))
 *     .policy(CommandPolicy.builder().allow("tsc").build())
 *     .isolation(Isolation.AUTO)
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe: file operations and scans are serialized; commands run concurrently with them.
 */
public final class LocalSandbox implements Sandbox {
  private static final Logger log = LoggerFactory.getLogger(LocalSandbox.class);

  private final String id;
  private final Path root;
  private final CommandPolicy policy;
  private final Exclusions exclusions;
  private final ConfinedFiles files;
  private final ChangeTracker tracker;
  private final CommandRunner runner;
  private final Path home;
  private final Object lock = new Object();

  private LocalSandbox(Builder b, Path root, Path home, Optional<Bubblewrap> bubblewrap) {
    this.id = b.id != null ? b.id : root.getFileName().toString();
    this.root = root;
    this.home = home;
    this.policy = b.policy;
    this.exclusions = b.exclusions;
    this.files = new ConfinedFiles(root, b.exclusions, b.maxFileBytes, b.raceHook);
    this.tracker = new ChangeTracker(files, b.exclusions, b.changeDetection, b.clockNanos, b.statView);
    this.runner = new CommandRunner(root, home, b.policy, b.baseEnvironment, bubblewrap);
  }

  /** Starts a sandbox on {@code root}; the directory is created if missing. */
  public static Builder builder(Path root) {
    return new Builder(root);
  }

  @Override
  public String id() {
    return id;
  }

  /** The real, absolute root directory. */
  public Path root() {
    return root;
  }

  /** Whether commands run inside bubblewrap; false means they run unisolated. */
  public boolean isolated() {
    return runner.isolated();
  }

  @Override
  public List<FileEntry> list(String directory, boolean recursive, int limit) {
    String dir = SandboxPaths.normalizeOrRoot(directory);
    if (!dir.isEmpty() && exclusions.isExcluded(dir)) {
      throw excluded(dir);
    }
    synchronized (lock) {
      return files.list(dir, recursive, limit);
    }
  }

  @Override
  public FileContent read(String path) {
    String p = SandboxPaths.normalize(path);
    synchronized (lock) {
      return files.read(p, true).map(bytes -> FileContent.of(p, bytes))
          .orElseThrow(() -> new NotFoundException("no such file: " + p));
    }
  }

  @Override
  public Optional<FileContent> tryRead(String path) {
    String p = SandboxPaths.normalize(path);
    synchronized (lock) {
      return files.read(p, false).map(bytes -> FileContent.of(p, bytes));
    }
  }

  @Override
  public WriteOutcome write(String path, byte[] content) {
    String p = writable(path);
    Objects.requireNonNull(content, "content == null");
    synchronized (lock) {
      WriteOutcome outcome = files.write(p, content);
      if (outcome != WriteOutcome.UNCHANGED) {
        tracker.recordWrite(p, content);
      }
      return outcome;
    }
  }

  @Override
  public List<String> delete(String path) {
    String p = writable(path);
    synchronized (lock) {
      List<String> deleted = files.delete(p);
      deleted.forEach(tracker::recordDelete);
      return deleted.stream().filter(f -> !exclusions.isExcluded(f)).toList();
    }
  }

  @Override
  public void rename(String from, String to) {
    String source = writable(from);
    String target = writable(to);
    if (source.equals(target)) {
      return;
    }
    synchronized (lock) {
      files.rename(source, target).forEach(tracker::recordMove);
    }
  }

  @Override
  public SearchResult search(SearchQuery query) {
    TextSearch search = TextSearch.start(query);
    synchronized (lock) {
      for (Map.Entry<String, FileStat> e : files.statAll().entrySet()) {
        String path = e.getKey();
        if (!search.accepts(path) || e.getValue().size() > files.maxFileBytes()) {
          continue;
        }
        Optional<byte[]> bytes;
        try {
          bytes = files.read(path, false);
        } catch (PathRefusedException | NotFoundException | TooLargeException e2) {
          continue; // changed under us (a running command): skip, as if it were not there
        }
        if (bytes.isPresent() && search.searchFile(path, bytes.get())) {
          break;
        }
      }
    }
    return search.result();
  }

  @Override
  public CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation) {
    Objects.requireNonNull(request, "request == null");
    Objects.requireNonNull(listener, "listener == null");
    Objects.requireNonNull(cancellation, "cancellation == null");
    // The exact name the policy allowed: it is what is looked up on PATH.
    String program = policy.check(request.argv());
    LocalCommandRules.check(policy, root, program, request.argv());
    String dir = SandboxPaths.normalizeOrRoot(request.workingDirectory());
    Path workingDirectory;
    synchronized (lock) {
      workingDirectory = files.directory(dir);
      tracker.commandStarted();
    }
    try {
      return runner.run(request, program, workingDirectory, listener, cancellation);
    } finally {
      synchronized (lock) {
        tracker.commandFinished();
      }
    }
  }

  @Override
  public CommandPolicy policy() {
    return policy;
  }

  @Override
  public SortedMap<String, Long> files() {
    synchronized (lock) {
      return tracker.files();
    }
  }

  @Override
  public ChangeScan scanChanges() {
    synchronized (lock) {
      return tracker.scan();
    }
  }

  @Override
  public void acknowledgeChanges(long generation) {
    synchronized (lock) {
      tracker.acknowledge(generation);
    }
  }

  @Override
  public void apply(Map<String, Optional<byte[]>> changes) {
    Objects.requireNonNull(changes, "changes == null");
    // Validate everything first so a bad path or an oversized file changes nothing.
    TreeMap<String, Optional<byte[]>> normalized = new TreeMap<>();
    changes.forEach((path, content) -> {
      Objects.requireNonNull(content, "content == null");
      String p = writable(path);
      if (content.isPresent() && content.get().length > files.maxFileBytes()) {
        throw new TooLargeException("cannot write " + p + ": " + content.get().length + " bytes is over the "
            + files.maxFileBytes() + " byte limit");
      }
      normalized.put(p, content);
    });
    synchronized (lock) {
      // Deletions first, deepest first, pruning directories they empty: a file can then take the
      // place of a directory (and back) within one restore.
      for (Map.Entry<String, Optional<byte[]>> e : normalized.descendingMap().entrySet()) {
        if (e.getValue().isEmpty() && files.stat(e.getKey()).isPresent()) {
          delete(e.getKey());
          files.pruneEmptyParents(e.getKey());
        }
      }
      for (Map.Entry<String, Optional<byte[]>> e : normalized.entrySet()) {
        if (e.getValue().isPresent()) {
          write(e.getKey(), e.getValue().get());
        }
      }
    }
  }

  /**
   * Kills commands still running and removes the private home directory commands used (npm cache,
   * temp files). The app files stay.
   */
  @Override
  public void close() {
    runner.killAll();
    try {
      if (Files.exists(home)) {
        Files.walkFileTree(home, new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            Files.deleteIfExists(dir);
            return FileVisitResult.CONTINUE;
          }
        });
      }
    } catch (IOException e) {
      log.warn("could not remove the command home {}: {}", home, e.toString());
    }
  }

  /** Files read to compare content during scans so far (racy entries only); for tests and the bench. */
  long contentReadsForScans() {
    synchronized (lock) {
      return tracker.contentReads();
    }
  }

  long fullRescans() {
    synchronized (lock) {
      return tracker.fullRescans();
    }
  }

  private String writable(String path) {
    String p = SandboxPaths.normalize(path);
    if (exclusions.isExcluded(p)) {
      throw excluded(p);
    }
    if (SandboxPaths.fileName(p).startsWith(ConfinedFiles.TEMP_PREFIX)) {
      throw new PathRefusedException("path refused: names starting with " + ConfinedFiles.TEMP_PREFIX + " are reserved");
    }
    return p;
  }

  private PathRefusedException excluded(String p) {
    return new PathRefusedException("path refused: " + p + " is inside an excluded directory ("
        + String.join(", ", new java.util.TreeSet<>(exclusions.names())) + ") that is never checkpointed");
  }

  private static long wallClockNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** Builds a {@link LocalSandbox}. */
  public static final class Builder {
    private final Path root;
    private String id;
    private CommandPolicy policy = CommandPolicy.defaults();
    private Exclusions exclusions = Exclusions.defaults();
    private long maxFileBytes = 8L * 1024 * 1024;
    private Isolation isolation = Isolation.AUTO;
    private ChangeDetection changeDetection = ChangeDetection.STAT_EVERY_SCAN;
    private Map<String, String> baseEnvironment = System.getenv();
    private final List<Path> readOnlyPaths = new ArrayList<>();
    private ConfinedFiles.RaceHook raceHook = ConfinedFiles.RaceHook.NONE;
    private String bwrapSearchPath = System.getenv("PATH");
    private java.util.function.LongSupplier clockNanos = LocalSandbox::wallClockNanos;
    private java.util.function.UnaryOperator<FileStat> statView = java.util.function.UnaryOperator.identity();

    private Builder(Path root) {
      this.root = Objects.requireNonNull(root, "root == null");
    }

    /** The sandbox id; defaults to the root directory's name. */
    public Builder id(String id) {
      this.id = Objects.requireNonNull(id, "id == null");
      return this;
    }

    public Builder policy(CommandPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy == null");
      return this;
    }

    public Builder exclusions(Exclusions exclusions) {
      this.exclusions = Objects.requireNonNull(exclusions, "exclusions == null");
      return this;
    }

    /** Cap on the size of a file read or written (default 8 MiB). */
    public Builder maxFileBytes(long maxFileBytes) {
      if (maxFileBytes < 1 || maxFileBytes > Integer.MAX_VALUE - 16) {
        throw new IllegalArgumentException("maxFileBytes must be between 1 and " + (Integer.MAX_VALUE - 16));
      }
      this.maxFileBytes = maxFileBytes;
      return this;
    }

    public Builder isolation(Isolation isolation) {
      this.isolation = Objects.requireNonNull(isolation, "isolation == null");
      return this;
    }

    public Builder changeDetection(ChangeDetection changeDetection) {
      this.changeDetection = Objects.requireNonNull(changeDetection, "changeDetection == null");
      return this;
    }

    /**
     * The environment commands start from before the policy's allowlist filters it (default: this
     * process's environment). Only allowlisted variables ever reach a command.
     */
    public Builder baseEnvironment(Map<String, String> environment) {
      this.baseEnvironment = Map.copyOf(Objects.requireNonNull(environment, "environment == null"));
      return this;
    }

    /** Extra host directories commands may read inside bubblewrap (e.g. a toolchain outside /usr). */
    public Builder readOnlyPath(Path path) {
      Path p = Objects.requireNonNull(path, "path == null").toAbsolutePath().normalize();
      readOnlyPaths.add(p);
      return this;
    }

    Builder raceHook(ConfinedFiles.RaceHook hook) {
      this.raceHook = Objects.requireNonNull(hook, "hook == null");
      return this;
    }

    /** Where to look for {@code bwrap} (default: this process's PATH); tests point it at fakes. */
    Builder bwrapSearchPath(String searchPath) {
      this.bwrapSearchPath = Objects.requireNonNull(searchPath, "searchPath == null");
      return this;
    }

    /** The wall clock racy-timestamp checks compare file times with; tests move it. */
    Builder clockNanos(java.util.function.LongSupplier clockNanos) {
      this.clockNanos = Objects.requireNonNull(clockNanos, "clockNanos == null");
      return this;
    }

    /** Models file systems with coarse or missing timestamps in tests. */
    Builder statView(java.util.function.UnaryOperator<FileStat> statView) {
      this.statView = Objects.requireNonNull(statView, "statView == null");
      return this;
    }

    public LocalSandbox build() {
      Path real;
      Path home;
      try {
        Files.createDirectories(root);
        real = root.toRealPath();
        home = Files.createTempDirectory("chatbuilder-home-");
        Files.createDirectories(home.resolve("tmp"));
      } catch (IOException e) {
        throw new SandboxException("cannot open sandbox directory " + root + ": " + e.getMessage(), e);
      }
      if (!Files.isDirectory(real)) {
        throw new SandboxException("sandbox root is not a directory: " + root);
      }
      return new LocalSandbox(this, real, home, bubblewrap(real, home));
    }

    private Optional<Bubblewrap> bubblewrap(Path real, Path home) {
      if (isolation == Isolation.NONE) {
        return Optional.empty();
      }
      Optional<Path> executable = Bubblewrap.find(bwrapSearchPath);
      String problem;
      if (executable.isEmpty()) {
        problem = "bwrap is not installed (Debian package 'bubblewrap')";
      } else {
        Bubblewrap candidate = new Bubblewrap(executable.get(), readOnlyPaths);
        Optional<Path> trueProgram = firstExecutable("true");
        Optional<String> failure = trueProgram.isEmpty() ? Optional.of("no 'true' program to probe with")
            : candidate.probe(real, home, trueProgram.get());
        if (failure.isEmpty()) {
          return Optional.of(candidate);
        }
        problem = failure.get();
      }
      if (isolation == Isolation.BWRAP) {
        throw new SandboxException("bubblewrap isolation was required but is not available: " + problem);
      }
      log.warn("commands in sandbox {} run UNISOLATED: {}", real.getFileName(), problem);
      return Optional.empty();
    }

    private static Optional<Path> firstExecutable(String name) {
      for (String dir : List.of("/usr/bin", "/bin")) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
      return Optional.empty();
    }
  }
}
