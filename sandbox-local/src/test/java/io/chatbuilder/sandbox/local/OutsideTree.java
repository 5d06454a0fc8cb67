package io.chatbuilder.sandbox.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A directory next to a sandbox root that the sandbox must never touch: a canary file with a size no
 * inside file has, a sub-directory, and a byte-exact snapshot (every entry's type, content, size and
 * mtime, directories' mtimes included, so an entry created and removed again still shows).
 */
final class OutsideTree {
  static final String SECRET = "OUTSIDE-SECRET";
  /** No file the tests write inside has this size, so a reported size of it means outside data leaked. */
  static final int CANARY_SIZE = 4099;

  final Path dir;

  private OutsideTree(Path dir) {
    this.dir = dir;
  }

  static OutsideTree create(Path dir) throws IOException {
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("canary.txt"), SECRET + "x".repeat(CANARY_SIZE - SECRET.length()));
    Files.writeString(dir.resolve("sub/canary.txt"), SECRET + "y".repeat(CANARY_SIZE - SECRET.length()));
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    for (String p : List.of("canary.txt", "sub/canary.txt", "sub", ".")) {
      Files.setLastModifiedTime(dir.resolve(p), old);
    }
    return new OutsideTree(dir);
  }

  Path canary() {
    return dir.resolve("canary.txt");
  }

  /** Path relative to the tree to type, size, mtime (ns) and content. */
  Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.toList()) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String kind = a.isDirectory() ? "dir" : a.isRegularFile() ? "file:" + Files.readString(p) : "other";
        out.put(dir.relativize(p).toString(), kind + "@" + a.size() + "@" + a.lastModifiedTime().toInstant());
      }
    }
    return out;
  }

  /** Creates a FIFO with mkfifo (Java has no call for it). */
  static void mkfifo(Path path) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
    if (p.waitFor() != 0) {
      throw new IOException("mkfifo " + path + " failed: " + new String(p.getInputStream().readAllBytes()));
    }
  }

  /**
   * Opens and closes {@code fifo} read-write, which releases any thread blocked opening it for
   * reading; the hang detectors call it so a failing test ends instead of leaving a stuck JVM.
   */
  static void release(Path fifo) {
    try {
      if (Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
        try (RandomAccessFile ignored = new RandomAccessFile(fifo.toFile(), "rw")) {
          // opening is enough
        }
      }
    } catch (IOException ignored) {
      // not there any more
    }
  }
}
