package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.FencedSandbox;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox's state outside its app files, in a directory next to the root that no command sees
 * (bubblewrap binds only the root) and no checkpoint holds: the highest fencing token seen for the
 * app, shared by every {@link LocalSandbox} on the same directory (two hosts on shared storage),
 * and one owner file per open sandbox that names the process writing its temporary files, so the
 * next open can remove the temporary files of a killed writer and only those.
 */
final class SandboxState implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SandboxState.class);
  /** {@code .chatbuilder-tmp-<owner>-<random>}: the only names the cleanup ever removes. */
  static final Pattern OWN_TEMP = Pattern.compile(Pattern.quote(ConfinedFiles.TEMP_PREFIX) + "([0-9a-f]{16})-[0-9a-f]{16}");
  /** A temporary file of an owner on another machine is removed once it is this old (no write takes that long). */
  static final Duration FOREIGN_TEMP_AGE = Duration.ofHours(1);
  private static final long LOCK_WAIT_NANOS = Duration.ofSeconds(30).toNanos();

  private final String sandboxId;
  private final Path directory;
  private final Path ownerFile;
  private final String owner;
  private final FileChannel tokenChannel;

  private SandboxState(String sandboxId, Path directory, String owner, Path ownerFile, FileChannel tokenChannel) {
    this.sandboxId = sandboxId;
    this.directory = directory;
    this.owner = owner;
    this.ownerFile = ownerFile;
    this.tokenChannel = tokenChannel;
  }

  /** The default state directory of a root: {@code <parent>/.<name>.chatbuilder}. */
  static Path defaultDirectory(Path realRoot) {
    Path parent = realRoot.getParent();
    if (parent == null) {
      throw new SandboxException("the sandbox root " + realRoot + " has no parent for its state directory: set stateDirectory(...)");
    }
    return parent.resolve("." + realRoot.getFileName() + ".chatbuilder");
  }

  static SandboxState open(String sandboxId, Path directory) {
    byte[] bytes = new byte[8];
    new SecureRandom().nextBytes(bytes);
    String owner = HexFormat.of().formatHex(bytes);
    try {
      Files.createDirectories(directory.resolve("owners"));
      Path ownerFile = directory.resolve("owners").resolve(owner);
      Files.writeString(ownerFile, describeThisProcess(), StandardCharsets.UTF_8);
      FileChannel channel = FileChannel.open(directory.resolve("fencing-token"),
          StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      return new SandboxState(sandboxId, directory, owner, ownerFile, channel);
    } catch (IOException e) {
      throw new SandboxException("cannot open the state directory of sandbox " + sandboxId + ": " + e.getMessage(), e);
    }
  }

  /** This sandbox's owner id, part of every temporary name it creates. */
  String owner() {
    return owner;
  }

  Path directory() {
    return directory;
  }

  // ---------------------------------------------------------------- fencing

  /**
   * Runs {@code mutation} holding the OS lock of the token file, if {@code token} is not below the
   * highest one recorded there; records {@code token} when it is higher (forced to disk first, so
   * a crash cannot forget it once the first write under it landed).
   */
  <T> T guard(long token, Supplier<T> mutation) {
    synchronized (tokenChannel) {
      FileLock lock = lock();
      try {
        long highest = readToken();
        if (token < highest) {
          throw FencedSandbox.stale(sandboxId, token, highest);
        }
        if (token > highest) {
          byte[] text = (token + "\n").getBytes(StandardCharsets.US_ASCII);
          tokenChannel.truncate(0);
          tokenChannel.write(ByteBuffer.wrap(text), 0);
          tokenChannel.force(false);
        }
        return mutation.get();
      } catch (IOException e) {
        throw new SandboxException("cannot read or record the fencing token of sandbox " + sandboxId + ": " + e.getMessage(), e);
      } finally {
        try {
          lock.release();
        } catch (IOException e) {
          log.warn("sandbox {}: could not release the fencing lock: {}", sandboxId, e.toString());
        }
      }
    }
  }

  /** The highest token recorded, 0 if none. */
  long highestToken() {
    synchronized (tokenChannel) {
      FileLock lock = lock();
      try {
        return readToken();
      } catch (IOException e) {
        throw new SandboxException("cannot read the fencing token of sandbox " + sandboxId + ": " + e.getMessage(), e);
      } finally {
        try {
          lock.release();
        } catch (IOException ignored) {
          // released with the channel at the latest
        }
      }
    }
  }

  private FileLock lock() {
    long deadline = System.nanoTime() + LOCK_WAIT_NANOS;
    while (true) {
      try {
        return tokenChannel.lock();
      } catch (OverlappingFileLockException e) {
        // Another LocalSandbox on the same directory in this JVM holds it (the OS lock is per process).
        if (System.nanoTime() > deadline) {
          throw new SandboxException("sandbox " + sandboxId + ": the fencing lock stayed held for 30 s", e);
        }
        Thread.onSpinWait();
        try {
          Thread.sleep(0, 200_000);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new SandboxException("interrupted while waiting for the fencing lock of sandbox " + sandboxId, ie);
        }
      } catch (IOException e) {
        throw new SandboxException("cannot lock the fencing token of sandbox " + sandboxId + ": " + e.getMessage(), e);
      }
    }
  }

  private long readToken() throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(32);
    int n = tokenChannel.read(buffer, 0);
    if (n <= 0) {
      return 0;
    }
    String text = new String(buffer.array(), 0, n, StandardCharsets.US_ASCII).trim();
    try {
      return text.isEmpty() ? 0 : Long.parseLong(text);
    } catch (NumberFormatException e) {
      // Fail closed: a damaged token file refuses every fenced write rather than accept stale ones.
      throw new SandboxException("the fencing token file of sandbox " + sandboxId + " is damaged: '" + text + "'");
    }
  }

  // ---------------------------------------------------------------- temporary files of killed writers

  /**
   * Removes this sandbox's kind of temporary files ({@link #OWN_TEMP}) under {@code root} whose
   * owner is gone: a process on this machine that no longer runs (checked by pid and start time),
   * an owner file that no longer exists, or, for owners on other machines, files older than
   * {@link #FOREIGN_TEMP_AGE}. Excluded directories are not entered; symlinks are not followed.
   *
   * @return how many were removed
   */
  int removeDeadTemporaryFiles(Path root, Exclusions exclusions) {
    int[] removed = {0};
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
          if (!dir.equals(root)) {
            String name = dir.getFileName().toString();
            if (removable(name, attrs)) {
              deleteTree(dir);
              removed[0]++;
              return FileVisitResult.SKIP_SUBTREE;
            }
            if (exclusions.isExcludedName(name)) {
              return FileVisitResult.SKIP_SUBTREE;
            }
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          if (attrs.isRegularFile() && removable(file.getFileName().toString(), attrs)) {
            Files.deleteIfExists(file);
            removed[0]++;
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE; // vanished or unreadable: not ours to fix
        }
      });
    } catch (IOException e) {
      log.warn("sandbox {}: could not remove leftover temporary files: {}", sandboxId, e.toString());
    }
    // Owner files of dead processes on this host go too (ownerAlive removes them), so crashes do not pile them up.
    try (java.util.stream.Stream<Path> owners = Files.list(directory.resolve("owners"))) {
      for (Path file : owners.toList()) {
        String name = file.getFileName().toString();
        if (!name.equals(owner) && name.matches("[0-9a-f]{16}")) {
          ownerAlive(name, Instant.now());
        }
      }
    } catch (IOException e) {
      log.debug("sandbox {}: could not list owner files: {}", sandboxId, e.toString());
    }
    if (removed[0] > 0) {
      log.info("sandbox {}: removed {} temporary file(s) left by killed writers", sandboxId, removed[0]);
    }
    return removed[0];
  }

  private boolean removable(String name, BasicFileAttributes attrs) {
    Matcher m = OWN_TEMP.matcher(name);
    if (!m.matches() || m.group(1).equals(owner)) {
      return false;
    }
    return !ownerAlive(m.group(1), attrs.lastModifiedTime().toInstant());
  }

  private boolean ownerAlive(String other, Instant modified) {
    Path file = directory.resolve("owners").resolve(other);
    List<String> fields;
    try {
      fields = List.of(Files.readString(file, StandardCharsets.UTF_8).trim().split(" "));
    } catch (NoSuchFileException e) {
      return false; // closed cleanly, or its file was removed with it
    } catch (IOException e) {
      return true; // cannot tell: keep the file
    }
    if (fields.size() != 3 || !fields.get(0).equals(hostName())) {
      return Duration.between(modified, Instant.now()).compareTo(FOREIGN_TEMP_AGE) < 0;
    }
    boolean alive;
    try {
      long pid = Long.parseLong(fields.get(1));
      alive = ProcessHandle.of(pid).flatMap(p -> p.info().startInstant())
          .map(start -> Long.toString(start.toEpochMilli()).equals(fields.get(2))).orElse(false);
    } catch (NumberFormatException e) {
      alive = false;
    }
    if (!alive) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // removed by the next open
      }
    }
    return alive;
  }

  private static void deleteTree(Path dir) throws IOException {
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        Files.deleteIfExists(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  private static String describeThisProcess() {
    ProcessHandle self = ProcessHandle.current();
    String start = self.info().startInstant().map(i -> Long.toString(i.toEpochMilli())).orElse("0");
    return hostName() + " " + self.pid() + " " + start + "\n";
  }

  private static String hostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env.trim().replace(' ', '_');
    }
    try {
      return InetAddress.getLocalHost().getHostName().replace(' ', '_');
    } catch (IOException e) {
      return "unknown-host";
    }
  }

  /** Closes the token file and removes this owner's file (its writes are all finished). */
  @Override
  public void close() {
    try {
      synchronized (tokenChannel) {
        tokenChannel.close();
      }
    } catch (IOException e) {
      log.debug("sandbox {}: closing the token file: {}", sandboxId, e.toString());
    }
    try {
      Files.deleteIfExists(ownerFile);
    } catch (IOException e) {
      log.debug("sandbox {}: removing the owner file: {}", sandboxId, e.toString());
    }
  }
}
