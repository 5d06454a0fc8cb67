package io.chatbuilder.core.testing;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TooLargeException;
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
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.TextSearch;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A {@link Sandbox} whose files live in memory, for tests and demos. Commands are answered by
 * {@link CommandHandler}s registered per program (after the policy allowed them), so tests can
 * simulate {@code npm} changing files or hanging until cancelled.
 */
public final class InMemorySandbox implements Sandbox {
  private final String id;
  private final CommandPolicy policy;
  /** The host's exclusions; {@link #exclusions} adds the app's .gitignore patterns. */
  private final Exclusions baseExclusions;
  private Exclusions exclusions; // guarded by this
  private final long maxFileBytes;
  private final Map<String, CommandHandler> handlers;
  private final TreeMap<String, byte[]> files = new TreeMap<>();
  /** Path to the generation in which it last changed. */
  private final Map<String, Long> dirty = new HashMap<>();
  private long highestToken; // guarded by this
  private long generation;

  private InMemorySandbox(Builder b) {
    this.id = b.id;
    this.policy = b.policy;
    this.baseExclusions = b.exclusions;
    this.exclusions = b.exclusions;
    this.maxFileBytes = b.maxFileBytes;
    this.handlers = Map.copyOf(b.handlers);
    b.files.forEach((path, bytes) -> files.put(SandboxPaths.normalize(path), bytes.clone()));
    refreshIgnoreFile();
  }

  /** Makes the exclusions base + the patterns of the root .gitignore; on a change every path is reported. */
  private synchronized void refreshIgnoreFile() {
    byte[] ignoreFile = files.get(Exclusions.IGNORE_FILE);
    Exclusions next = ignoreFile == null ? baseExclusions
        : baseExclusions.withIgnoreFile(new String(ignoreFile, java.nio.charset.StandardCharsets.UTF_8));
    boolean changed = next.hasIgnorePatterns() || exclusions.hasIgnorePatterns();
    exclusions = next;
    if (changed) {
      for (String path : files.keySet()) {
        dirty.put(path, generation + 1);
      }
    }
  }

  /** Whether the app's .gitignore (not the host's names) excludes the path. */
  private boolean ignoredByFile(String path) {
    return exclusions.hasIgnorePatterns() && exclusions.isExcluded(path) && !baseExclusions.isExcluded(path);
  }

  public static Builder builder(String id) {
    return new Builder(id);
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public synchronized List<FileEntry> list(String directory, boolean recursive, int limit) {
    String dir = SandboxPaths.normalizeOrRoot(directory);
    if (!dir.isEmpty() && !isDirectory(dir)) {
      if (files.containsKey(dir)) {
        throw new InvalidArgumentException("not a directory: " + dir);
      }
      throw new NotFoundException("no such directory: " + dir);
    }
    TreeMap<String, FileEntry> entries = new TreeMap<>();
    String prefix = dir.isEmpty() ? "" : dir + "/";
    for (Map.Entry<String, byte[]> e : files.tailMap(prefix, true).entrySet()) {
      String path = e.getKey();
      if (!path.startsWith(prefix)) {
        break;
      }
      String rest = path.substring(prefix.length());
      if (exclusions.isExcluded(rest) || ignoredByFile(path)) {
        continue;
      }
      int slash = rest.indexOf('/');
      if (slash >= 0) {
        // every parent directory between dir and the file
        int from = 0;
        while (slash >= 0 && (recursive || from == 0)) {
          String d = prefix + rest.substring(0, slash);
          entries.putIfAbsent(d, new FileEntry(d, FileEntry.Kind.DIRECTORY, 0));
          if (!recursive) {
            break;
          }
          from = slash + 1;
          slash = rest.indexOf('/', from);
        }
        if (!recursive) {
          continue;
        }
      }
      entries.put(path, new FileEntry(path, FileEntry.Kind.FILE, e.getValue().length));
    }
    return entries.values().stream().limit(limit).toList();
  }

  @Override
  public synchronized FileContent read(String path) {
    return tryRead(path).orElseThrow(() -> new NotFoundException("no such file: " + SandboxPaths.normalize(path)));
  }

  @Override
  public synchronized Optional<FileContent> tryRead(String path) {
    String p = SandboxPaths.normalize(path);
    if (ignoredByFile(p)) {
      throw new PathRefusedException("path refused: " + p + " is ignored by the app's .gitignore, so it is never read, shown or checkpointed");
    }
    byte[] bytes = files.get(p);
    if (bytes == null) {
      return Optional.empty();
    }
    if (bytes.length > maxFileBytes) {
      throw new TooLargeException(p + " is " + bytes.length + " bytes, over the " + maxFileBytes + " byte limit");
    }
    return Optional.of(FileContent.of(p, bytes));
  }

  @Override
  public synchronized WriteOutcome write(String path, byte[] content) {
    String p = checkWritable(path);
    Objects.requireNonNull(content, "content == null");
    if (content.length > maxFileBytes) {
      throw new TooLargeException("cannot write " + p + ": " + content.length + " bytes is over the " + maxFileBytes + " byte limit");
    }
    if (isDirectory(p)) {
      throw new InvalidArgumentException("cannot write " + p + ": it is a directory");
    }
    // A file cannot sit where a directory is needed.
    for (String parent = SandboxPaths.parent(p); !parent.isEmpty(); parent = SandboxPaths.parent(parent)) {
      if (files.containsKey(parent)) {
        throw new InvalidArgumentException("cannot write " + p + ": " + parent + " is a file");
      }
    }
    byte[] old = files.get(p);
    if (old != null && Arrays.equals(old, content)) {
      return WriteOutcome.UNCHANGED;
    }
    files.put(p, content.clone());
    markDirty(p);
    return old == null ? WriteOutcome.CREATED : WriteOutcome.MODIFIED;
  }

  @Override
  public synchronized List<String> delete(String path) {
    String p = checkWritable(path);
    if (files.remove(p) != null) {
      markDirty(p);
      return List.of(p);
    }
    List<String> under = filesUnder(p);
    if (under.isEmpty()) {
      throw new NotFoundException("nothing to delete at " + p);
    }
    under.forEach(f -> {
      files.remove(f);
      markDirty(f);
    });
    return under;
  }

  @Override
  public synchronized void rename(String from, String to) {
    String source = checkWritable(from);
    String target = checkWritable(to);
    if (source.equals(target)) {
      return;
    }
    if (files.containsKey(target) || isDirectory(target)) {
      throw new InvalidArgumentException("cannot rename to " + target + ": it exists");
    }
    if (SandboxPaths.isWithin(target, source)) {
      throw new InvalidArgumentException("cannot move " + source + " into itself");
    }
    byte[] file = files.get(source);
    if (file != null) {
      write(target, file);
      files.remove(source);
      markDirty(source);
      return;
    }
    List<String> under = filesUnder(source);
    if (under.isEmpty()) {
      throw new NotFoundException("nothing to rename at " + source);
    }
    for (String parent = SandboxPaths.parent(target); !parent.isEmpty(); parent = SandboxPaths.parent(parent)) {
      if (files.containsKey(parent)) {
        throw new InvalidArgumentException("cannot move " + source + " to " + target + ": " + parent + " is a file");
      }
    }
    for (String f : under) {
      String moved = target + f.substring(source.length());
      files.put(moved, files.remove(f));
      markDirty(f);
      markDirty(moved);
    }
  }

  @Override
  public synchronized SearchResult search(SearchQuery query) {
    TextSearch search = TextSearch.start(query);
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      if (exclusions.isExcluded(e.getKey()) || !search.accepts(e.getKey())) {
        continue;
      }
      if (search.searchFile(e.getKey(), e.getValue())) {
        break;
      }
    }
    return search.result();
  }

  @Override
  public CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation) {
    String program = policy.check(request.argv());
    CommandHandler handler = handlers.get(program);
    if (handler == null) {
      throw new SandboxException("the in-memory sandbox has no handler for '" + program + "'");
    }
    return handler.run(request, this, listener, cancellation);
  }

  @Override
  public CommandPolicy policy() {
    return policy;
  }

  @Override
  public synchronized SortedMap<String, Long> files() {
    SortedMap<String, Long> out = new TreeMap<>();
    files.forEach((path, bytes) -> {
      if (!exclusions.isExcluded(path)) {
        out.put(path, (long) bytes.length);
      }
    });
    return out;
  }

  @Override
  public synchronized ChangeScan scanChanges() {
    long scanGeneration = ++generation;
    return new ChangeScan(scanGeneration, new TreeSet<>(dirty.keySet()));
  }

  @Override
  public synchronized void acknowledgeChanges(long acknowledged) {
    dirty.values().removeIf(changedIn -> changedIn <= acknowledged);
  }

  @Override
  public synchronized void apply(Map<String, Optional<byte[]>> changes) {
    // Deletions first, so a file can become a directory (and back) within one restore.
    for (Map.Entry<String, Optional<byte[]>> e : new TreeMap<>(changes).descendingMap().entrySet()) {
      if (e.getValue().isEmpty() && files.containsKey(SandboxPaths.normalize(e.getKey()))) {
        delete(e.getKey());
      }
    }
    for (Map.Entry<String, Optional<byte[]>> e : new TreeMap<>(changes).entrySet()) {
      if (e.getValue().isPresent()) {
        write(e.getKey(), e.getValue().get());
      }
    }
  }

  /**
   * Fences this sandbox's mutations: the highest token lives in this object, compared under its
   * monitor, which every mutation also takes.
   */
  @Override
  public Sandbox fenced(long token) {
    return FencedSandbox.of(this, token, new FencedSandbox.Fence() {
      @Override
      public <T> T guard(long t, java.util.function.Supplier<T> mutation) {
        synchronized (InMemorySandbox.this) {
          if (t < highestToken) {
            throw FencedSandbox.stale(id, t, highestToken);
          }
          highestToken = t;
          return mutation.get();
        }
      }
    });
  }

  @Override
  public void close() {}

  private void markDirty(String path) {
    if (!exclusions.isExcluded(path)) {
      // Changes count toward the next scan, so they outlive acknowledgement of the previous one.
      dirty.put(path, generation + 1);
    }
    if (path.equals(Exclusions.IGNORE_FILE)) {
      refreshIgnoreFile();
    }
  }

  private String checkWritable(String path) {
    String p = SandboxPaths.normalize(path);
    if (ignoredByFile(p)) {
      throw new PathRefusedException("path refused: " + p + " is ignored by the app's .gitignore and would never be checkpointed");
    }
    if (exclusions.isExcluded(p)) {
      throw new PathRefusedException("path refused: " + p + " is inside an excluded directory (" 
          + String.join(", ", new TreeSet<>(exclusions.names())) + ") that is never checkpointed");
    }
    return p;
  }

  private boolean isDirectory(String dir) {
    String prefix = dir + "/";
    String next = files.ceilingKey(prefix);
    return next != null && next.startsWith(prefix);
  }

  private List<String> filesUnder(String dir) {
    String prefix = dir + "/";
    List<String> out = new ArrayList<>();
    for (String f : files.tailMap(prefix, true).keySet()) {
      if (!f.startsWith(prefix)) {
        break;
      }
      out.add(f);
    }
    return out;
  }

  /** Answers a command the policy allowed; may read and write the sandbox. */
  @FunctionalInterface
  public interface CommandHandler {
    CommandResult run(CommandRequest request, Sandbox sandbox, CommandListener listener, Cancellation cancellation);
  }

  /** Builds an {@link InMemorySandbox}. */
  public static final class Builder {
    private final String id;
    private CommandPolicy policy = CommandPolicy.defaults();
    private Exclusions exclusions = Exclusions.defaults();
    private long maxFileBytes = 8L * 1024 * 1024;
    private final Map<String, CommandHandler> handlers = new HashMap<>();
    private final Map<String, byte[]> files = new TreeMap<>();

    private Builder(String id) {
      this.id = Objects.requireNonNull(id, "id == null");
    }

    public Builder policy(CommandPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy == null");
      return this;
    }

    public Builder exclusions(Exclusions exclusions) {
      this.exclusions = Objects.requireNonNull(exclusions, "exclusions == null");
      return this;
    }

    public Builder maxFileBytes(long maxFileBytes) {
      this.maxFileBytes = maxFileBytes;
      return this;
    }

    public Builder command(String program, CommandHandler handler) {
      handlers.put(Objects.requireNonNull(program, "program == null"), Objects.requireNonNull(handler, "handler == null"));
      return this;
    }

    /** A file present from the start (not reported as a change). */
    public Builder file(String path, byte[] content) {
      files.put(path, content.clone());
      return this;
    }

    public Builder file(String path, String content) {
      return file(path, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public InMemorySandbox build() {
      return new InMemorySandbox(this);
    }
  }
}
