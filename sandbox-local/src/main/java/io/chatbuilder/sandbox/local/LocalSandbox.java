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
import io.chatbuilder.core.sandbox.FencedSandbox;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.SandboxService;
import io.chatbuilder.core.sandbox.ServiceRequest;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Sandbox} in a directory of the host: confined file tools, change tracking with a stat
 * cache, search, and commands and services under a {@link CommandPolicy}, inside bubblewrap with
 * resource limits and no network but the policy's holes (see the module README).
 *
 * <pre>{@code
 * LocalSandbox sandbox = LocalSandbox.builder(Path.of("apps/todo"))
 *     .policy(CommandPolicy.builder().allow("tsc").build())
 *     .build();                       // isolated by bubblewrap; .unisolated() only for trusted code
 * }</pre>
 *
 * <p>Without a working bubblewrap the sandbox still opens and its file tools work, but every
 * command and service fails with a {@link SandboxException} naming the missing Debian package,
 * unless the host opted into {@link Builder#unisolated()}.
 *
 * <p>Thread-safe: file operations and scans are serialized; commands and services run
 * concurrently with them.
 */
public final class LocalSandbox implements Sandbox {
  private static final Logger log = LoggerFactory.getLogger(LocalSandbox.class);

  private final String id;
  private final Path root;
  private final CommandPolicy policy;
  /** The host's exclusions; {@link #exclusions} adds the app's .gitignore to them. */
  private final Exclusions baseExclusions;
  private volatile Exclusions exclusions;
  /** The stat of .gitignore when {@link #exclusions} was made from it (empty: there was none). */
  private Optional<FileStat> ignoreFileStat = Optional.empty();
  private String ignoreFileText = "";
  private boolean ignoreFileRead;
  private final ConfinedFiles files;
  private final ChangeTracker tracker;
  private final ProcessLauncher launcher;
  private final CommandRunner runner;
  private final Path runDirectory;
  private final SandboxState state;
  private final Runnable onClose;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<LocalService> services = ConcurrentHashMap.newKeySet();
  private final AtomicInteger serviceCounter = new AtomicInteger();
  private final Object lock = new Object();
  private final SearchEngine searchEngine;
  /** Present for {@link SearchEngine#RIPGREP} where rg is installed (and, if isolated, bubblewrap). */
  private final Optional<RipgrepSearch> ripgrep;
  /** The search pool, made at the first parallel search; daemon threads, shut down by close(). */
  private java.util.concurrent.ExecutorService searchPool;

  private LocalSandbox(Builder b, String id, Path root, Path runDirectory, boolean isolated, SandboxState state) {
    this.id = id;
    this.root = root;
    this.runDirectory = runDirectory;
    this.state = state;
    this.onClose = b.onClose;
    this.searchEngine = b.searchEngine;
    this.policy = b.policy;
    this.baseExclusions = b.exclusions;
    this.exclusions = b.exclusions;
    this.files = new ConfinedFiles(root, b.exclusions, b.maxFileBytes, b.raceHook, state.owner());
    // The watch cookies live in the private run directory: outside the root, never bound into bwrap.
    Optional<TreeWatcher> watcher = b.changeDetection == ChangeDetection.WATCH
        ? TreeWatcher.start(id, root, runDirectory.resolve("watch"), b.watchLimit)
        : Optional.empty();
    try {
      this.tracker = new ChangeTracker(files, b.exclusions, b.changeDetection, b.clockNanos, b.statView, watcher);
    } catch (RuntimeException e) {
      watcher.ifPresent(TreeWatcher::close);
      throw e;
    }
    Optional<Bubblewrap> bubblewrap = Bubblewrap.find(b.bwrapSearchPath).map(p -> new Bubblewrap(p, b.readOnlyPaths));
    this.launcher = new ProcessLauncher(id, root, runDirectory, b.policy, b.baseEnvironment, isolated, bubblewrap,
        b.probes != null ? b.probes : new Bubblewrap.Probes(), b.cgroupMount);
    this.runner = new CommandRunner(launcher);
    this.ripgrep = b.searchEngine != SearchEngine.RIPGREP ? Optional.empty()
        : isolated
            ? bubblewrap.flatMap(bwrap -> RipgrepSearch.find().map(rg -> new RipgrepSearch(rg, root,
                argv -> bwrap.readOnlyCommand(root, argv), b.searchClock())))
            : RipgrepSearch.find().map(rg -> new RipgrepSearch(rg, root, argv -> argv, b.searchClock()));
    synchronized (lock) {
      refreshIgnoreFile();
    }
  }

  /**
   * Re-reads the app's root .gitignore when its stat changed (an edit through the sandbox, a
   * command or a person) and makes the exclusions base + its patterns, so every listing, scan,
   * search and checkpoint applies them. Under {@link #lock}.
   */
  private void refreshIgnoreFile() {
    Optional<FileStat> stat;
    try {
      stat = files.stat(Exclusions.IGNORE_FILE);
    } catch (io.chatbuilder.core.ChatBuilderException e) {
      stat = Optional.empty(); // a symlink or special file: not the app's ignore file
    }
    if (ignoreFileRead && stat.equals(ignoreFileStat)) {
      return;
    }
    ignoreFileRead = true;
    String text = "";
    if (stat.isPresent()) {
      try {
        text = files.read(Exclusions.IGNORE_FILE, false).map(bytes -> new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).orElse("");
      } catch (io.chatbuilder.core.ChatBuilderException e) {
        text = ""; // too large or swapped for a link: ignored like git ignores an unreadable file
      }
    }
    ignoreFileStat = stat;
    if (text.equals(ignoreFileText)) {
      return;
    }
    ignoreFileText = text;
    Exclusions next = text.isEmpty() ? baseExclusions : baseExclusions.withIgnoreFile(text);
    exclusions = next;
    files.exclusions(next);
    tracker.exclusions(next);
  }

  /** After a write, delete or rename through the sandbox that touched .gitignore. */
  private void touched(String path) {
    if (path.equals(Exclusions.IGNORE_FILE)) {
      refreshIgnoreFile();
    }
  }

  /** Starts a sandbox on {@code root}; the directory is created if missing. */
  public static Builder builder(Path root) {
    return new Builder(root);
  }

  @Override
  public String id() {
    return id;
  }

  /** The sandbox's private host directory (home, bridge sockets); for tests. */
  Path runDirectory() {
    return runDirectory;
  }

  /** The real, absolute root directory. */
  public Path root() {
    return root;
  }

  /** The root directory: bubblewrap binds it at the same path, so processes see it there too. */
  @Override
  public Optional<String> processRoot() {
    return Optional.of(root.toString());
  }

  /**
   * Whether commands and services run inside bubblewrap (they then never run any other way: where
   * bubblewrap does not work they fail). False only where the host opted into {@link Builder#unisolated()}.
   */
  public boolean isolated() {
    return launcher.isolated();
  }

  /**
   * Why commands and services cannot run isolated on this machine (bubblewrap missing or unable to
   * create namespaces), probed once; empty when they can, or when the sandbox is unisolated.
   */
  public Optional<String> isolationProblem() {
    return launcher.isolationProblem();
  }

  @Override
  public List<FileEntry> list(String directory, boolean recursive, int limit) {
    String dir = SandboxPaths.normalizeOrRoot(directory);
    synchronized (lock) {
      refreshIgnoreFile();
      if (!dir.isEmpty() && exclusions.isExcludedDirectory(dir)) {
        throw excluded(dir);
      }
      return files.list(dir, recursive, limit);
    }
  }

  @Override
  public FileContent read(String path) {
    String p = SandboxPaths.normalize(path);
    synchronized (lock) {
      refuseIgnored(p);
      return files.read(p, true).map(bytes -> FileContent.of(p, bytes))
          .orElseThrow(() -> new NotFoundException("no such file: " + p));
    }
  }

  @Override
  public Optional<FileContent> tryRead(String path) {
    String p = SandboxPaths.normalize(path);
    synchronized (lock) {
      refuseIgnored(p);
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
        touched(p);
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
      deleted.forEach(this::touched);
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
      touched(source);
      touched(target);
    }
  }

  @Override
  public SearchResult search(SearchQuery query) {
    Objects.requireNonNull(query, "query == null");
    if (searchEngine != SearchEngine.SEQUENTIAL) {
      synchronized (lock) {
        refreshIgnoreFile();
        // rg only where isolation works (never unconfined for an isolated sandbox): else in-process.
        if (ripgrep.isPresent() && !ripgrep.get().failed() && launcher.isolationProblem().isEmpty()) {
          Optional<SearchResult> found = ripgrep.get().search(query, files.maxFileBytes(), tracker.stats(),
              path -> files.read(path, false), searchPool());
          if (found.isPresent()) {
            return found.get();
          }
        }
        return ByteSearch.search(query, files.maxFileBytes(), files::readEach, searchPool());
      }
    }
    TextSearch search = TextSearch.start(query);
    synchronized (lock) {
      refreshIgnoreFile();
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

  /** Searches ripgrep answered; for tests and the bench. */
  long ripgrepSearches() {
    synchronized (lock) {
      return ripgrep.map(RipgrepSearch::answered).orElse(0L);
    }
  }

  /** Under {@link #lock}. A small pool: two to four threads, whatever the machine has. */
  private java.util.concurrent.ExecutorService searchPool() {
    if (closed.get()) {
      throw new SandboxException("sandbox " + id + " is closed");
    }
    if (searchPool == null) {
      int threads = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));
      AtomicInteger n = new AtomicInteger();
      searchPool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
        Thread t = new Thread(r, "chatbuilder-search-" + id + "-" + n.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
    return searchPool;
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

  /**
   * Starts a service (e.g. the Vite dev server) under the same policy check, isolation, limits and
   * environment scrub as commands, without a timeout. Isolated with the network denied, its port is
   * reached through {@link SandboxService#endpoint()} only (a bridge the host makes into the
   * sandbox's own network); the service must listen on {@code 127.0.0.1}.
   */
  @Override
  public SandboxService startService(ServiceRequest request, CommandListener output) {
    Objects.requireNonNull(request, "request == null");
    Objects.requireNonNull(output, "output == null");
    String program = policy.check(request.argv());
    LocalCommandRules.check(policy, root, program, request.argv());
    String dir = SandboxPaths.normalizeOrRoot(request.workingDirectory());
    Path workingDirectory;
    synchronized (lock) {
      workingDirectory = files.directory(dir);
    }
    Map<String, String> env = launcher.serviceEnvironment(request);
    Path executable = launcher.resolve(request.argv().get(0), program, env.get("PATH"));
    ProcessLauncher.Launched launched = launcher.start(ProcessLauncher.Kind.SERVICE, executable,
        request.argv().subList(1, request.argv().size()), workingDirectory, env, request.port());
    synchronized (lock) {
      tracker.commandStarted();
    }
    AtomicBoolean ended = new AtomicBoolean();
    LocalService[] holder = new LocalService[1];
    Runnable onEnd = () -> {
      if (ended.compareAndSet(false, true)) {
        synchronized (lock) {
          tracker.commandFinished();
        }
        if (holder[0] != null) {
          services.remove(holder[0]);
        }
      }
    };
    LocalService service;
    try {
      service = LocalService.start(launcher, request.name(), launched, request.port(),
          launcher.isolated() && !policy.allowNetwork(),
          runDirectory.resolve("svc-" + serviceCounter.incrementAndGet() + ".sock"), output, onEnd);
    } catch (RuntimeException e) {
      onEnd.run();
      throw e;
    }
    holder[0] = service;
    services.add(service);
    if (ended.get()) {
      services.remove(service);
    }
    log.info("sandbox {}: service {} started ({}), endpoint {}", id, request.name(),
        service.isolated() ? "isolated" : "UNISOLATED", service.endpoint());
    return service;
  }

  @Override
  public CommandPolicy policy() {
    return policy;
  }

  @Override
  public SortedMap<String, Long> files() {
    synchronized (lock) {
      refreshIgnoreFile();
      return tracker.files();
    }
  }

  @Override
  public ChangeScan scanChanges() {
    synchronized (lock) {
      refreshIgnoreFile();
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
   * A view whose mutations carry {@code token}. The highest token is kept in a file of the
   * sandbox's state directory (outside the app files, see {@link Builder#stateDirectory}) and read,
   * compared and updated under an OS file lock ({@code FileChannel.lock}) held for the whole
   * mutation, so every {@code LocalSandbox} on the same directory, in this process or another host
   * sharing the storage, agrees.
   */
  @Override
  public Sandbox fenced(long token) {
    return FencedSandbox.of(this, token, state::guard);
  }

  /** Removes the temporary files of writes whose process died (never a live owner's, never app files). */
  @Override
  public void removeAbandonedWrites() {
    state.removeDeadTemporaryFiles(root, exclusions);
  }

  /** The sandbox's state directory (fencing token, owner files); outside the root. */
  public Path stateDirectory() {
    return state.directory();
  }

  /**
   * Kills services and commands still running, stops the egress proxy and removes the sandbox's
   * private host directory (its home with the npm cache, temp files, bridge sockets). The app files
   * stay. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      closeResources();
    } finally {
      state.close();
      onClose.run();
    }
  }

  private void closeResources() {
    for (LocalService service : List.copyOf(services)) {
      service.close();
    }
    runner.killAll();
    launcher.close();
    synchronized (lock) {
      tracker.close();
      if (searchPool != null) {
        searchPool.shutdownNow();
      }
    }
    try {
      if (Files.exists(runDirectory)) {
        Files.walkFileTree(runDirectory, new SimpleFileVisitor<>() {
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
      log.warn("could not remove the sandbox's private directory {}: {}", runDirectory, e.toString());
    }
  }

  /** Files read to compare content during scans so far (racy entries only); for tests and the bench. */
  long contentReadsForScans() {
    synchronized (lock) {
      return tracker.contentReads();
    }
  }

  /** Whether scans are driven by the watcher now (WATCH mode, started, not exhausted); for tests. */
  boolean watching() {
    synchronized (lock) {
      return tracker.watching();
    }
  }

  /** The directories watched now, relative to the root; for tests. */
  Set<String> watchedPaths() {
    synchronized (lock) {
      return tracker.watchedPaths();
    }
  }

  long fullRescans() {
    synchronized (lock) {
      return tracker.fullRescans();
    }
  }

  /**
   * Files the app's .gitignore ignores are not read through the sandbox either (they are often
   * secrets such as .env.local): not by a tool, not by a checkpoint, which records them as absent.
   */
  private void refuseIgnored(String p) {
    refreshIgnoreFile();
    if (exclusions.hasIgnorePatterns() && exclusions.isExcluded(p) && !baseExclusions.isExcluded(p)) {
      throw new PathRefusedException("path refused: " + p + " is ignored by the app's .gitignore, so it is never read, shown or checkpointed");
    }
  }

  private String writable(String path) {
    String p = SandboxPaths.normalize(path);
    Exclusions current;
    synchronized (lock) {
      refreshIgnoreFile();
      current = exclusions;
    }
    if (current.isExcluded(p)) {
      if (!baseExclusions.isExcluded(p)) {
        throw new PathRefusedException("path refused: " + p + " is ignored by the app's .gitignore and would never be checkpointed");
      }
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
    private Isolation isolation = Isolation.BUBBLEWRAP;
    private ChangeDetection changeDetection = ChangeDetection.WATCH;
    private SearchEngine searchEngine = SearchEngine.RIPGREP;
    private int watchLimit = Integer.MAX_VALUE;
    private Map<String, String> baseEnvironment = System.getenv();
    private final List<Path> readOnlyPaths = new ArrayList<>();
    private ConfinedFiles.RaceHook raceHook = ConfinedFiles.RaceHook.NONE;
    private String bwrapSearchPath = System.getenv("PATH");
    private java.util.function.LongSupplier clockNanos = LocalSandbox::wallClockNanos;
    private java.util.function.LongSupplier searchClockNanos;
    private java.util.function.UnaryOperator<FileStat> statView = java.util.function.UnaryOperator.identity();
    private Bubblewrap.Probes probes;
    private Path cgroupMount = Path.of("/sys/fs/cgroup");
    private Path stateDirectory;
    private Runnable onClose = () -> {};

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

    /** {@link Isolation#BUBBLEWRAP} (the default) or {@link Isolation#UNISOLATED}; see {@link #unisolated()}. */
    public Builder isolation(Isolation isolation) {
      this.isolation = Objects.requireNonNull(isolation, "isolation == null");
      return this;
    }

    /**
     * Runs commands and services as plain processes of the JVM, with the policy's checks, the
     * environment scrub and the tree kill but no isolation, limits or network restriction: app code
     * can then read the host's secrets and reach every service on it. Only for trusted code (tests
     * of the file tools, benchmarks of the SDK). Logged at WARN for every sandbox built this way.
     */
    public Builder unisolated() {
      return isolation(Isolation.UNISOLATED);
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

    /** The most directory watches before the watcher counts as exhausted (the kernel's limit otherwise); tests. */
    Builder watchLimit(int limit) {
      this.watchLimit = limit;
      return this;
    }

    /**
     * Whether {@link #search} uses ripgrep ({@code rg} from the system directories, inside
     * bubblewrap's read-only profile when isolated) where it is installed; default true. Without it
     * (or false here) the in-process parallel byte search answers, with identical results.
     */
    public Builder ripgrep(boolean useRipgrep) {
      return searchEngine(useRipgrep ? SearchEngine.RIPGREP : SearchEngine.PARALLEL_BYTES);
    }

    /** Which search engine to use; for tests and the bench (the default is ripgrep where installed). */
    Builder searchEngine(SearchEngine engine) {
      this.searchEngine = Objects.requireNonNull(engine, "engine == null");
      return this;
    }

    Builder raceHook(ConfinedFiles.RaceHook hook) {
      this.raceHook = Objects.requireNonNull(hook, "hook == null");
      return this;
    }

    /**
     * Where the sandbox keeps its own state: the highest fencing token seen for the app and the
     * owner files of open sandboxes (default: {@code .<root name>.chatbuilder} next to the root).
     * It must lie outside the root, and every host that opens the same root must use the same one.
     */
    public Builder stateDirectory(Path directory) {
      this.stateDirectory = Objects.requireNonNull(directory, "directory == null");
      return this;
    }

    /** Called once when the sandbox closes; the provider forgets it then. */
    Builder onClose(Runnable onClose) {
      this.onClose = Objects.requireNonNull(onClose, "onClose == null");
      return this;
    }

    /** Where to look for {@code bwrap} (default: this process's PATH); tests point it at fakes. */
    Builder bwrapSearchPath(String searchPath) {
      this.bwrapSearchPath = Objects.requireNonNull(searchPath, "searchPath == null");
      return this;
    }

    /** Shares bubblewrap probe results between the sandboxes of one provider. */
    Builder probes(Bubblewrap.Probes probes) {
      this.probes = Objects.requireNonNull(probes, "probes == null");
      return this;
    }

    /** Where cgroups are mounted (default {@code /sys/fs/cgroup}); tests point it at a directory without any. */
    Builder cgroupMount(Path mount) {
      this.cgroupMount = Objects.requireNonNull(mount, "mount == null");
      return this;
    }

    /** The wall clock racy-timestamp checks compare file times with; tests move it. */
    /** The clock the ripgrep search's racy rule reads (default: {@link #clockNanos}); tests age files with it. */
    Builder searchClockNanos(java.util.function.LongSupplier clockNanos) {
      this.searchClockNanos = Objects.requireNonNull(clockNanos, "clockNanos == null");
      return this;
    }

    private java.util.function.LongSupplier searchClock() {
      return searchClockNanos != null ? searchClockNanos : clockNanos;
    }

    Builder clockNanos(java.util.function.LongSupplier clockNanos) {
      this.clockNanos = Objects.requireNonNull(clockNanos, "clockNanos == null");
      return this;
    }

    /** Models file systems with coarse or missing timestamps in tests. */
    Builder statView(java.util.function.UnaryOperator<FileStat> statView) {
      this.statView = Objects.requireNonNull(statView, "statView == null");
      return this;
    }

    /**
     * Opens the sandbox. Cheap: bubblewrap is probed at the first command or service (once per
     * provider), so the file tools work on a machine without it.
     */
    public LocalSandbox build() {
      Path real;
      Path run;
      try {
        Files.createDirectories(root);
        real = root.toRealPath();
        run = Files.createTempDirectory(privateBase(), "cb-");
        Files.createDirectories(run.resolve("home").resolve("tmp"));
      } catch (IOException e) {
        throw new SandboxException("cannot open sandbox directory " + root + ": " + e.getMessage(), e);
      }
      if (!Files.isDirectory(real)) {
        throw new SandboxException("sandbox root is not a directory: " + root);
      }
      String sandboxId = id != null ? id : real.getFileName().toString();
      Path stateDir = stateDirectory != null ? stateDirectory.toAbsolutePath().normalize() : SandboxState.defaultDirectory(real);
      if (stateDir.startsWith(real) || stateDir.startsWith(root.toAbsolutePath().normalize())) {
        throw new SandboxException("the state directory of sandbox " + sandboxId + " must lie outside its root: " + stateDir);
      }
      SandboxState state = SandboxState.open(sandboxId, stateDir);
      // A write killed mid-way leaves its temporary file; the next open removes those of dead owners.
      state.removeDeadTemporaryFiles(real, exclusions);
      boolean isolated = isolation == Isolation.BUBBLEWRAP;
      if (!isolated) {
        log.warn("sandbox {} runs app code UNISOLATED (explicit opt-in): commands and services can read the host's "
            + "files and secrets and reach every service on it", sandboxId);
      }
      try {
        return new LocalSandbox(this, sandboxId, real, run, isolated, state);
      } catch (RuntimeException e) {
        state.close();
        throw e;
      }
    }

    /**
     * Where the sandbox's private host directory goes: the JVM's temp directory unless its path is
     * long or unusual (unix socket paths are limited to 108 bytes, and socat's address syntax
     * reserves ',' and ':'), then {@code /tmp}.
     */
    private static Path privateBase() {
      String tmp = System.getProperty("java.io.tmpdir", "/tmp");
      if (tmp.length() > 48 || !tmp.matches("/[A-Za-z0-9/._-]*")) {
        return Path.of("/tmp");
      }
      return Path.of(tmp);
    }
  }
}
