package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.sandbox.ChangeScan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The watcher (the default change detection) against what can go wrong with directory watches:
 * edits by other programs found without a tree walk, directories created and filled before their
 * watch exists, renamed and deleted subtrees, event overflow, a watched directory replaced by a
 * symlink to outside, a watch limit reached, and a burst of 100,000 changes compared with a full scan.
 */
class TreeWatcherTest {
  private static final FileTime OLD = FileTime.fromMillis(1_600_000_000_000L);

  @TempDir Path base;
  Path root;
  Path outside;
  LocalSandbox sandbox;
  final List<LocalSandbox> others = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(base.resolve("app"));
    outside = Files.createDirectories(base.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), "outside");
  }

  @AfterEach
  void tearDown() {
    if (sandbox != null) {
      sandbox.close();
    }
    others.forEach(LocalSandbox::close);
  }

  private LocalSandbox open() {
    sandbox = LocalSandbox.builder(root).unisolated().build();
    assertThat(sandbox.watching()).as("the default change detection watches on Linux").isTrue();
    return sandbox;
  }

  private Set<String> scanAndAcknowledge() {
    ChangeScan scan = sandbox.scanChanges();
    sandbox.acknowledgeChanges(scan.generation());
    return scan.paths();
  }

  /** What a fresh full stat scan of the same root sees (another sandbox, its own state directory). */
  private SortedMap<String, Long> fullScan() {
    LocalSandbox fresh = LocalSandbox.builder(root).unisolated().changeDetection(ChangeDetection.STAT_EVERY_SCAN)
        .stateDirectory(base.resolve("state-" + others.size())).build();
    others.add(fresh);
    return fresh.files();
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  @Test
  void editsByAnotherProgramAreFoundWithoutWalkingTheTree() throws IOException {
    for (int i = 0; i < 50; i++) {
      write(root.resolve("src/d" + (i % 5) + "/f" + i + ".js"), "v" + i);
    }
    Files.setLastModifiedTime(root.resolve("src/d1/f1.js"), OLD);
    open();
    assertThat(scanAndAcknowledge()).hasSize(50);
    long walks = sandbox.fullRescans();

    write(root.resolve("src/d0/f0.js"), "changed");
    Files.delete(root.resolve("src/d2/f2.js"));
    write(root.resolve("src/d3/new.js"), "new");
    // Same size and mtime: only ctime differs.
    write(root.resolve("src/d1/f1.js"), "V1");
    Files.setLastModifiedTime(root.resolve("src/d1/f1.js"), OLD);
    assertThat(scanAndAcknowledge()).containsExactlyInAnyOrder("src/d0/f0.js", "src/d2/f2.js", "src/d3/new.js", "src/d1/f1.js");
    assertThat(sandbox.fullRescans()).as("no tree walk").isEqualTo(walks);
    assertThat(scanAndAcknowledge()).isEmpty();
    assertThat(sandbox.files()).isEqualTo(fullScan());
  }

  @Test
  void aDirectoryCreatedAndFilledBeforeItsWatchExistsIsScannedWhole() throws IOException {
    open();
    scanAndAcknowledge();
    // Created and filled at once, long before the watcher could register a/ or a/b/ or a/b/c/.
    write(root.resolve("a/b/c/deep.txt"), "deep");
    write(root.resolve("a/b/mid.txt"), "mid");
    write(root.resolve("a/top.txt"), "top");
    assertThat(scanAndAcknowledge()).containsExactlyInAnyOrder("a/b/c/deep.txt", "a/b/mid.txt", "a/top.txt");
    assertThat(sandbox.watchedPaths()).contains("", "a", "a/b", "a/b/c");
    // Now watched: a later edit deep inside is found.
    write(root.resolve("a/b/c/deep.txt"), "deeper");
    assertThat(scanAndAcknowledge()).containsExactly("a/b/c/deep.txt");
  }

  @Test
  void aRenamedDirectoryIsFollowedUnderItsNewPath() throws IOException {
    write(root.resolve("src/x/a.js"), "a");
    write(root.resolve("src/b.js"), "b");
    open();
    scanAndAcknowledge();
    Files.move(root.resolve("src"), root.resolve("lib"));
    assertThat(scanAndAcknowledge()).containsExactlyInAnyOrder("src/x/a.js", "src/b.js", "lib/x/a.js", "lib/b.js");
    assertThat(sandbox.watchedPaths()).contains("lib", "lib/x").doesNotContain("src", "src/x");
    // The inotify watch moved with the directory: its events must now name lib/, not src/.
    write(root.resolve("lib/x/a.js"), "a2");
    write(root.resolve("lib/x/c.js"), "c");
    assertThat(scanAndAcknowledge()).containsExactlyInAnyOrder("lib/x/a.js", "lib/x/c.js");
    assertThat(sandbox.files()).isEqualTo(fullScan());
  }

  @Test
  void aDeletedSubtreeIsReportedWhole() throws IOException {
    for (int i = 0; i < 20; i++) {
      write(root.resolve("gone/d" + (i % 4) + "/f" + i), "x");
    }
    write(root.resolve("kept.txt"), "k");
    open();
    scanAndAcknowledge();
    try (Stream<Path> walk = Files.walk(root.resolve("gone"))) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    Set<String> scan = scanAndAcknowledge();
    assertThat(scan).hasSize(20).allMatch(p -> p.startsWith("gone/"));
    assertThat(sandbox.watchedPaths()).noneMatch(p -> p.startsWith("gone"));
    assertThat(sandbox.files()).containsOnlyKeys("kept.txt");
  }

  @Test
  void eventOverflowFallsBackToAFullRescanAndMissesNothing() throws IOException {
    Files.createDirectories(root.resolve("many"));
    open();
    scanAndAcknowledge();
    long walks = sandbox.fullRescans();
    // The JDK keeps at most 512 events per watch key before it signals OVERFLOW: 2,000 creates in one watched directory.
    Set<String> created = new HashSet<>();
    for (int i = 0; i < 2_000; i++) {
      write(root.resolve("many/f" + i + ".txt"), "x");
      created.add("many/f" + i + ".txt");
    }
    write(root.resolve("top.txt"), "t");
    created.add("top.txt");
    long t0 = System.nanoTime();
    assertThat(scanAndAcknowledge()).isEqualTo(created);
    System.out.println("overflow scan ms " + (System.nanoTime() - t0) / 1e6);
    assertThat(sandbox.fullRescans()).as("the overflow made a full rescan").isGreaterThan(walks);
    assertThat(sandbox.watching()).isTrue();
    // Watches are whole again after the rescan.
    write(root.resolve("many/f7.txt"), "changed");
    long after = sandbox.fullRescans();
    assertThat(scanAndAcknowledge()).containsExactly("many/f7.txt");
    assertThat(sandbox.fullRescans()).isEqualTo(after);
  }

  @Test
  void aWatchedDirectoryReplacedByASymlinkIsNeitherFollowedNorWatched() throws IOException {
    write(root.resolve("src/a.js"), "a");
    write(root.resolve("src/inner/b.js"), "b");
    open();
    scanAndAcknowledge();
    assertThat(sandbox.watchedPaths()).contains("src", "src/inner");

    try (Stream<Path> walk = Files.walk(root.resolve("src"))) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    Files.createSymbolicLink(root.resolve("src"), outside);
    assertThat(scanAndAcknowledge()).containsExactlyInAnyOrder("src/a.js", "src/inner/b.js");
    assertThat(sandbox.watchedPaths()).doesNotContain("src", "src/inner");
    assertThat(inotifyWatchedInodes()).as("no inotify watch of this JVM on the outside directory")
        .doesNotContain(inode(outside));

    write(outside.resolve("later.txt"), "outside change");
    assertThat(scanAndAcknowledge()).isEmpty();
    assertThat(sandbox.files()).isEmpty();
    assertThat(outside.resolve("secret.txt")).hasContent("outside");
  }

  @Test
  void aNewDirectorySwappedForASymlinkWhileItsEventIsWalkedIsNeitherReadNorWatched() throws IOException {
    java.util.concurrent.atomic.AtomicBoolean armed = new java.util.concurrent.atomic.AtomicBoolean();
    sandbox = LocalSandbox.builder(root).unisolated().raceHook((step, path) -> {
      if (armed.compareAndSet(true, false) && step.equals("walk") && path.equals("fresh")) {
        Files.move(root.resolve("fresh"), root.resolve("fresh-moved"));
        Files.createSymbolicLink(root.resolve("fresh"), outside);
      }
    }).build();
    assertThat(sandbox.watching()).isTrue();
    scanAndAcknowledge();
    write(root.resolve("fresh/own.txt"), "own");
    armed.set(true);
    Set<String> first = scanAndAcknowledge();
    assertThat(first).noneMatch(p -> p.startsWith("fresh/") && !p.equals("fresh/own.txt"));
    assertThat(sandbox.files()).doesNotContainKeys("fresh/secret.txt", "fresh/own.txt");
    assertThat(sandbox.watchedPaths()).doesNotContain("fresh");
    assertThat(inotifyWatchedInodes()).doesNotContain(inode(outside));
    // The next scan settles on what is there: the moved directory, nothing through the link.
    scanAndAcknowledge();
    assertThat(sandbox.files()).isEqualTo(fullScan()).containsOnlyKeys("fresh-moved/own.txt");
  }

  @Test
  void reachingTheWatchLimitFallsBackToFullStatScans() throws IOException {
    write(root.resolve("a/x.txt"), "x");
    write(root.resolve("b/y.txt"), "y");
    sandbox = LocalSandbox.builder(root).unisolated().watchLimit(2).build();
    assertThat(sandbox.watching()).as("3 directories, 2 watches allowed").isFalse();
    assertThat(scanAndAcknowledge()).containsExactlyInAnyOrder("a/x.txt", "b/y.txt");
    long walks = sandbox.fullRescans();
    write(root.resolve("b/y.txt"), "changed");
    write(root.resolve("c/z.txt"), "z");
    assertThat(scanAndAcknowledge()).containsExactlyInAnyOrder("b/y.txt", "c/z.txt");
    assertThat(sandbox.fullRescans()).isGreaterThan(walks);
  }

  @Test
  void aNewDirectoryOverTheWatchLimitSwitchesToFullScansWithoutMissingIt() throws IOException {
    write(root.resolve("a/x.txt"), "x");
    sandbox = LocalSandbox.builder(root).unisolated().watchLimit(2).build();
    assertThat(sandbox.watching()).isTrue();
    scanAndAcknowledge();
    write(root.resolve("b/c/y.txt"), "y"); // two new directories, one watch left
    assertThat(scanAndAcknowledge()).containsExactly("b/c/y.txt");
    assertThat(sandbox.watching()).isFalse();
    write(root.resolve("b/c/y.txt"), "y2");
    assertThat(scanAndAcknowledge()).containsExactly("b/c/y.txt");
  }

  @Test
  void excludedDirectoriesAreNotWatched() throws IOException {
    write(root.resolve("node_modules/pkg/index.js"), "x");
    write(root.resolve("generated/out.js"), "x");
    write(root.resolve(".gitignore"), "generated/\n");
    write(root.resolve("src/a.js"), "a");
    open();
    scanAndAcknowledge();
    assertThat(sandbox.watchedPaths()).containsExactlyInAnyOrder("", "src");
    write(root.resolve("node_modules/pkg/index.js"), "y");
    write(root.resolve("node_modules/new/index.js"), "y");
    write(root.resolve("generated/out2.js"), "y");
    assertThat(scanAndAcknowledge()).isEmpty();
    // No longer ignored: generated/ appears and is watched (every known path is reported once, as documented).
    write(root.resolve(".gitignore"), "");
    assertThat(scanAndAcknowledge()).containsExactlyInAnyOrder(".gitignore", "generated/out.js", "generated/out2.js", "src/a.js");
    assertThat(sandbox.watchedPaths()).contains("generated");
    write(root.resolve("generated/out.js"), "z");
    assertThat(scanAndAcknowledge()).containsExactly("generated/out.js");
  }

  @Test
  void aBurstOf100000ChangesIsSeenWholeInTheNextScan() throws IOException {
    for (int i = 0; i < 1_000; i++) {
      write(root.resolve("d" + (i % 100) + "/old" + i + ".txt"), "old");
    }
    open();
    scanAndAcknowledge();
    Set<String> expected = new HashSet<>();
    // 99,000 files created in 200 new directories, 500 existing ones rewritten, 500 deleted.
    for (int i = 0; i < 99_000; i++) {
      String path = "burst" + (i % 200) + "/f" + i + ".txt";
      write(root.resolve(path), "b");
      expected.add(path);
    }
    for (int i = 0; i < 1_000; i++) {
      String path = "d" + (i % 100) + "/old" + i + ".txt";
      if (i % 2 == 0) {
        write(root.resolve(path), "rewritten");
      } else {
        Files.delete(root.resolve(path));
      }
      expected.add(path);
    }
    long t0 = System.nanoTime();
    assertThat(scanAndAcknowledge()).isEqualTo(expected);
    System.out.println("burst scan ms " + (System.nanoTime() - t0) / 1e6);
    assertThat(sandbox.files()).isEqualTo(fullScan());
    assertThat(scanAndAcknowledge()).isEmpty();
  }

  private static String inode(Path dir) throws IOException {
    return Long.toHexString((Long) Files.getAttribute(dir, "unix:ino"));
  }

  /** The inodes of every inotify watch of this process, from /proc/self/fdinfo (hex, as the kernel prints them). */
  private static Set<String> inotifyWatchedInodes() throws IOException {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        String target;
        try {
          target = Files.readSymbolicLink(fd).toString();
        } catch (IOException e) {
          continue;
        }
        if (!target.contains("inotify")) {
          continue;
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo").resolve(fd.getFileName()))) {
          int at = line.indexOf(" ino:");
          if (line.startsWith("inotify") && at > 0) {
            inodes.add(line.substring(at + 5).split(" ")[0]);
          }
        }
      }
    }
    assertThat(inodes).as("this JVM's own inotify watches are visible").isNotEmpty();
    return inodes;
  }
}
