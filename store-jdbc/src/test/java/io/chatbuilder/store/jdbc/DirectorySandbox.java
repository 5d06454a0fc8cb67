package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.checkpoint.ContentHash;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SandboxPaths;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.SearchResult;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A workspace on a plain directory that several host JVMs share, for {@link TwoHostLeaseTest}:
 * file tools only (no commands, listing or search). Changes are found by comparing the directory
 * with what was there at the last acknowledged scan, so this host sees the other host's writes.
 * Writes go to a temporary file moved into place, so no reader ever sees half a file.
 */
final class DirectorySandbox implements Sandbox {
  private final String id;
  private final Path root;
  private final Map<Long, Map<String, String>> scans = new HashMap<>();
  private Map<String, String> acknowledged = Map.of();
  private long generation;
  private long mutations;

  DirectorySandbox(String id, Path root) {
    this.id = id;
    this.root = root;
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** How many times this object changed the directory (not counting the other host's changes). */
  synchronized long mutations() {
    return mutations;
  }

  @Override
  public String id() {
    return id;
  }

  private Path resolve(String path) {
    return root.resolve(SandboxPaths.normalize(path));
  }

  @Override
  public List<FileEntry> list(String directory, boolean recursive, int limit) {
    throw new SandboxException("this test workspace does not list");
  }

  @Override
  public FileContent read(String path) {
    return tryRead(path).orElseThrow(() -> new NotFoundException("no file " + path));
  }

  @Override
  public Optional<FileContent> tryRead(String path) {
    Path file = resolve(path);
    try {
      return Files.isRegularFile(file) ? Optional.of(FileContent.of(SandboxPaths.normalize(path), Files.readAllBytes(file)))
          : Optional.empty();
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public synchronized WriteOutcome write(String path, byte[] content) {
    Optional<FileContent> old = tryRead(path);
    if (old.isPresent() && java.util.Arrays.equals(old.get().bytes(), content)) {
      return WriteOutcome.UNCHANGED;
    }
    Path file = resolve(path);
    mutations++;
    try {
      Files.createDirectories(file.getParent());
      Path temp = Files.createTempFile(root, ".write-", ".tmp");
      Files.write(temp, content);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return old.isPresent() ? WriteOutcome.MODIFIED : WriteOutcome.CREATED;
  }

  @Override
  public synchronized List<String> delete(String path) {
    mutations++;
    try {
      if (!Files.deleteIfExists(resolve(path))) {
        throw new NotFoundException("no file " + path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return List.of(SandboxPaths.normalize(path));
  }

  @Override
  public void rename(String from, String to) {
    throw new SandboxException("this test workspace does not rename");
  }

  @Override
  public SearchResult search(SearchQuery query) {
    throw new SandboxException("this test workspace does not search");
  }

  @Override
  public CommandResult run(CommandRequest request, CommandListener listener, Cancellation cancellation) {
    throw new SandboxException("this test workspace runs no commands");
  }

  @Override
  public CommandPolicy policy() {
    return CommandPolicy.defaults();
  }

  /** Path to content hash of every file now. */
  private Map<String, String> state() {
    Map<String, String> out = new HashMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        String name = root.relativize(p).toString().replace('\\', '/');
        if (Files.isRegularFile(p) && !p.getFileName().toString().startsWith(".write-")) {
          try {
            out.put(name, ContentHash.sha256(Files.readAllBytes(p)));
          } catch (java.nio.file.NoSuchFileException e) {
            // deleted while walking
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public synchronized SortedMap<String, Long> files() {
    SortedMap<String, Long> out = new TreeMap<>();
    for (String path : state().keySet()) {
      try {
        out.put(path, Files.size(root.resolve(path)));
      } catch (IOException e) {
        // deleted meanwhile
      }
    }
    return out;
  }

  @Override
  public synchronized ChangeScan scanChanges() {
    Map<String, String> now = state();
    Set<String> changed = new HashSet<>();
    now.forEach((path, hash) -> {
      if (!hash.equals(acknowledged.get(path))) {
        changed.add(path);
      }
    });
    for (String path : acknowledged.keySet()) {
      if (!now.containsKey(path)) {
        changed.add(path);
      }
    }
    generation++;
    scans.put(generation, now);
    return new ChangeScan(generation, changed);
  }

  @Override
  public synchronized void acknowledgeChanges(long acknowledgedGeneration) {
    Map<String, String> state = scans.get(acknowledgedGeneration);
    if (state != null) {
      acknowledged = state;
    }
    scans.keySet().removeIf(g -> g <= acknowledgedGeneration);
  }

  @Override
  public synchronized void apply(Map<String, Optional<byte[]>> files) {
    files.forEach((path, content) -> {
      if (content.isPresent()) {
        write(path, content.get());
      } else {
        mutations++;
        try {
          Files.deleteIfExists(resolve(path));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    });
  }

  @Override
  public void close() {}

  private long highestToken;

  /** Fenced within this JVM (the tests' hosts are kept apart by their leases; this checks the rest). */
  @Override
  public Sandbox fenced(long token) {
    return io.chatbuilder.core.sandbox.FencedSandbox.of(this, token, new io.chatbuilder.core.sandbox.FencedSandbox.Fence() {
      @Override
      public <T> T guard(long t, java.util.function.Supplier<T> mutation) {
        synchronized (DirectorySandbox.this) {
          if (t < highestToken) {
            throw io.chatbuilder.core.sandbox.FencedSandbox.stale(id(), t, highestToken);
          }
          highestToken = t;
          return mutation.get();
        }
      }
    });
  }
}
