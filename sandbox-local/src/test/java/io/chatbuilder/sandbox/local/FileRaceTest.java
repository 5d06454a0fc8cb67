package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.sandbox.FileContent;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.SearchQuery;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brute force on a real file system: two threads swap, as fast as they can, a directory for a
 * symlink to an outside directory, a directory for a FIFO, a file for a FIFO and a file for a
 * symlink to an outside file, while the SDK writes, creates nested directories, reads, lists,
 * scans, searches, deletes, renames and applies through a {@link LocalSandbox} on that tree.
 *
 * <p>Asserted: at least {@link #SWAPS} swaps happened; the outside tree is byte-identical
 * afterwards; no read, listing, scan or search result carries outside data (its content, its
 * canary file name or its size); no operation hangs (each runs under {@link #OPERATION_DEADLINE},
 * a hang detector, not a speed assertion); no operation fails with anything but a
 * {@link ChatBuilderException} (a refusal, not-found or similar is what a race may cause); and no
 * temporary entry is left anywhere in the root.
 */
class FileRaceTest {
  /** Swaps in total, split over the two swapper threads. */
  static final int SWAPS = 200_000;
  /** A hang detector: one operation takes well under a millisecond here. */
  static final Duration OPERATION_DEADLINE = Duration.ofSeconds(20);

  @TempDir Path base;
  Path root;
  Path holds;
  OutsideTree outside;

  final AtomicLong swaps = new AtomicLong();
  final AtomicLong operations = new AtomicLong();
  final AtomicLong fifosRecreated = new AtomicLong();
  final Map<String, AtomicInteger> refusals = new ConcurrentHashMap<>();
  /** One message per error code and operation, to show in the output what the races caused. */
  final Map<String, String> samples = new ConcurrentHashMap<>();
  final Map<String, AtomicLong> nanosPerOperation = new ConcurrentHashMap<>();
  final List<String> violations = new CopyOnWriteArrayList<>();
  final List<Throwable> crashes = new CopyOnWriteArrayList<>();
  final AtomicReference<String> running = new AtomicReference<>("");
  final AtomicLong runningSince = new AtomicLong();
  volatile boolean stop;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // last resort; the hang detector below answers first
  void nothingOutsideIsCreatedReadOrReportedAndNothingHangsWhileTheTreeIsSwappedUnderTheSdk() throws Exception {
    root = Files.createDirectories(base.resolve("app"));
    // Everything the swappers move lives inside the root, as it would for an app's own process: a
    // real directory or file moved aside stays inside, and so do the symlinks and FIFOs.
    holds = Files.createDirectories(root.resolve("holds"));
    outside = OutsideTree.create(base.resolve("outside"));
    Map<String, String> outsideBefore = outside.snapshot();

    Files.createDirectories(root.resolve("d"));
    Files.writeString(root.resolve("d/f.txt"), "inside d");
    Files.createDirectories(root.resolve("q"));
    Files.writeString(root.resolve("q/inner.txt"), "inside q");
    Files.writeString(root.resolve("p.txt"), "inside p");
    Files.writeString(root.resolve("s.txt"), "inside s");
    Files.createSymbolicLink(holds.resolve("d-link"), outside.dir);
    Files.createSymbolicLink(holds.resolve("s-link"), outside.canary());
    OutsideTree.mkfifo(holds.resolve("p-fifo"));
    OutsideTree.mkfifo(holds.resolve("q-fifo"));

    LocalSandbox sandbox = LocalSandbox.builder(root).unisolated().build();
    long start = System.nanoTime();
    Thread worker = new Thread(() -> work(sandbox), "sdk-worker");
    Thread swapper1 = new Thread(() -> swap(List.of(
        new Swap("d", "d-link", false), new Swap("q", "q-fifo", true)), SWAPS / 2), "swapper-dirs");
    Thread swapper2 = new Thread(() -> swap(List.of(
        new Swap("p.txt", "p-fifo", true), new Swap("s.txt", "s-link", false)), SWAPS / 2), "swapper-files");
    worker.start();
    swapper1.start();
    swapper2.start();
    String hang = null;
    while (swapper1.isAlive() || swapper2.isAlive()) {
      hang = hangOf();
      if (hang != null) {
        break;
      }
      Thread.sleep(50);
    }
    stop = true;
    swapper1.join(OPERATION_DEADLINE.toMillis());
    swapper2.join(OPERATION_DEADLINE.toMillis());
    while (hang == null && worker.isAlive()) {
      hang = hangOf();
      worker.join(50);
    }
    if (hang != null) {
      // Let a worker stuck on a FIFO go, so the JVM can finish and report.
      try (Stream<Path> all = Files.walk(root)) {
        all.forEach(OutsideTree::release);
      }
    }
    long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    sandbox.close();
    System.out.printf("FileRaceTest: %,d swaps and %,d SDK operations in %,d ms; FIFOs recreated %d times; refusals %s%n",
        swaps.get(), operations.get(), elapsedMillis, fifosRecreated.get(), new TreeMap<>(refusals));
    new TreeMap<>(samples).forEach((k, v) -> System.out.println("  " + k + ": " + v));
    new TreeMap<>(nanosPerOperation).forEach((k, v) -> System.out.printf("  %s: %,d ms in total%n", k, v.get() / 1_000_000));
    try (Stream<Path> all = Files.walk(root)) {
      System.out.println("  entries in the root at the end: " + all.count());
    }

    assertThat(hang).as("an operation that never returned").isNull();
    assertThat(crashes).as("failures other than a ChatBuilderException").isEmpty();
    assertThat(swaps.get()).as("swaps made").isGreaterThanOrEqualTo(SWAPS);
    assertThat(operations.get()).as("SDK operations that ran during the swaps").isGreaterThan(1_000);
    assertThat(violations).as("results that carried outside data").isEmpty();
    assertThat(outside.snapshot()).as("the outside tree, byte for byte").isEqualTo(outsideBefore);
    try (Stream<Path> all = Files.walk(root)) {
      assertThat(all.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(ConfinedFiles.TEMP_PREFIX)))
          .as("temporary files or directories left behind").isEmpty();
    }
  }

  private String hangOf() {
    long since = runningSince.get();
    if (since != 0 && System.nanoTime() - since > OPERATION_DEADLINE.toNanos()) {
      return running.get() + " ran for more than " + OPERATION_DEADLINE.toSeconds() + " s";
    }
    return null;
  }

  // ---------------------------------------------------------------- the swappers

  /** {@code name} in the root is swapped for {@code hold} (kept in a directory outside the root). */
  private record Swap(String name, String hold, boolean fifo) {}

  private void swap(List<Swap> plan, int count) {
    try {
      int done = 0;
      for (int i = 0; done < count && !stop; i++) {
        Swap s = plan.get(i % plan.size());
        Path inside = root.resolve(s.name());
        Path real = holds.resolve(s.name() + "-real");
        Path hostile = holds.resolve(s.hold());
        ensureHostile(s, hostile);
        move(inside, real);
        place(hostile, inside);
        swaps.incrementAndGet();
        done++;
        move(inside, hostile);
        place(real, inside);
      }
    } catch (Throwable t) {
      crashes.add(new AssertionError("swapper failed", t));
    }
  }

  /**
   * An SDK write may replace the FIFO or symlink with a regular file when it commits over it (that
   * is a rename over the name, never a write through it); the swapper then makes a new one.
   */
  private void ensureHostile(Swap s, Path hostile) throws Exception {
    BasicFileAttributes a = attrs(hostile);
    boolean ok = a != null && (s.fifo() ? a.isOther() : a.isSymbolicLink());
    if (ok) {
      return;
    }
    if (a != null) {
      moveAside(hostile);
    }
    if (s.fifo()) {
      OutsideTree.mkfifo(hostile);
      fifosRecreated.incrementAndGet();
    } else {
      Files.createSymbolicLink(hostile, s.name().equals("d") ? outside.dir : outside.canary());
    }
  }

  /** Puts {@code from} at {@code to}; anything an SDK operation created at {@code to} meanwhile is moved aside. */
  private void place(Path from, Path to) throws IOException {
    for (int attempt = 0; ; attempt++) {
      if (exists(to)) {
        moveAside(to);
      }
      try {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        return;
      } catch (IOException raced) {
        if (attempt > 100) {
          throw raced;
        }
      }
    }
  }

  private void move(Path from, Path to) throws IOException {
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
  }

  private final AtomicLong aside = new AtomicLong();

  private void moveAside(Path path) throws IOException {
    try {
      Files.move(path, holds.resolve("aside-" + aside.incrementAndGet()), StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException gone) {
      // fine
    }
  }

  private static boolean exists(Path p) {
    return attrs(p) != null;
  }

  private static BasicFileAttributes attrs(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (IOException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- the SDK side

  private void work(LocalSandbox sandbox) {
    for (int i = 0; !stop; i++) {
      int n = i;
      op("write d/f.txt", () -> sandbox.write("d/f.txt", utf8("inside d " + n)));
      op("write nested", () -> sandbox.write("d/new-" + n + "/deep/er/x.txt", utf8("nested " + n)));
      op("read d/f.txt", () -> checkContent("d/f.txt", sandbox.read("d/f.txt")));
      op("list d", () -> checkEntries(sandbox.list("d", true, 10_000)));
      if (n % 4 == 0) {
        // Whole-tree walks cost milliseconds (every file is recent, so scans hash it): fewer of them,
        // so the cheap operations meet more swaps.
        op("list root", () -> checkEntries(sandbox.list("", true, 10_000)));
        op("files", () -> checkPaths(sandbox.files().entrySet().stream()
            .map(e -> new FileEntry(e.getKey(), FileEntry.Kind.FILE, e.getValue())).toList()));
        op("scan", () -> {
          var scan = sandbox.scanChanges();
          for (String p : scan.paths()) {
            if (p.contains("canary")) {
              violations.add("scan reported " + p);
            }
          }
          sandbox.acknowledgeChanges(scan.generation());
        });
        op("search", () -> {
          var matches = sandbox.search(SearchQuery.literal(OutsideTree.SECRET)).matches();
          if (!matches.isEmpty()) {
            violations.add("search found outside text in " + matches.get(0).path());
          }
        });
      }
      if (n > 0) {
        op("delete nested", () -> sandbox.delete("d/new-" + (n - 1)));
      }
      op("rename there", () -> sandbox.rename("d/f.txt", "d/g.txt"));
      op("rename back", () -> sandbox.rename("d/g.txt", "d/f.txt"));
      op("read p.txt", () -> checkContent("p.txt", sandbox.read("p.txt")));
      op("tryRead p.txt", () -> sandbox.tryRead("p.txt").ifPresent(c -> checkContent("p.txt", c)));
      op("read q/inner.txt", () -> checkContent("q/inner.txt", sandbox.read("q/inner.txt")));
      op("list q", () -> checkEntries(sandbox.list("q", true, 100)));
      op("write q/w.txt", () -> sandbox.write("q/w.txt", utf8("inside q " + n)));
      op("read s.txt", () -> checkContent("s.txt", sandbox.read("s.txt")));
      op("apply", () -> sandbox.apply(Map.of("d/applied.txt", Optional.of(utf8("applied " + n)),
          "q/applied.txt", n % 2 == 0 ? Optional.of(utf8("applied q")) : Optional.empty())));
      if (n % 8 == 0) {
        // Same size as before ("inside p"): the write compares content first, so it opens the name.
        op("write p.txt", () -> sandbox.write("p.txt", utf8("inside p")));
        op("write s.txt", () -> sandbox.write("s.txt", utf8("inside s " + n)));
      }
    }
  }

  @FunctionalInterface
  private interface Op {
    void run() throws Exception;
  }

  private void op(String name, Op op) {
    running.set(name);
    runningSince.set(System.nanoTime());
    try {
      op.run();
    } catch (ChatBuilderException expected) {
      String code = expected.code().name().toLowerCase(java.util.Locale.ROOT);
      refusals.computeIfAbsent(code, k -> new AtomicInteger()).incrementAndGet();
      samples.putIfAbsent(code + " in " + name, expected.getMessage());
    } catch (Throwable t) {
      crashes.add(new AssertionError(name + " failed", t));
    } finally {
      nanosPerOperation.computeIfAbsent(name, k -> new AtomicLong()).addAndGet(System.nanoTime() - runningSince.get());
      runningSince.set(0);
      operations.incrementAndGet();
    }
  }

  private void checkContent(String path, FileContent content) {
    String text = new String(content.bytes(), StandardCharsets.UTF_8);
    if (text.contains(OutsideTree.SECRET) || !text.startsWith("inside")) {
      violations.add("read " + path + " returned " + text.substring(0, Math.min(40, text.length())));
    }
  }

  private void checkEntries(Collection<FileEntry> entries) {
    checkPaths(new ArrayList<>(entries));
  }

  private void checkPaths(List<FileEntry> entries) {
    for (FileEntry e : entries) {
      if (e.path().contains("canary") || e.path().startsWith("d/sub") || e.size() == OutsideTree.CANARY_SIZE) {
        violations.add("listed " + e);
      }
    }
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
