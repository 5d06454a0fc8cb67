package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each step of the file layer with a swap at exactly the wrong moment, through the race hook: a
 * directory swapped for a symlink to an outside directory or for a FIFO, a file swapped for a FIFO
 * or for a symlink. Every test ends by checking the outside tree is byte-identical; every operation
 * runs under a hang detector (a FIFO opened for reading would block forever).
 */
class RaceStepsTest {
  /** A hang detector, not a speed limit: each operation here takes milliseconds. */
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  @TempDir Path base;
  Path root;
  OutsideTree outside;
  Map<String, String> outsideBefore;
  final List<LocalSandbox> opened = new ArrayList<>();
  final List<Path> fifos = new ArrayList<>();
  /** Hooks act only once the sandbox is built (building it scans and hashes the tree). */
  final AtomicBoolean armed = new AtomicBoolean();

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(base.resolve("app"));
    outside = OutsideTree.create(base.resolve("outside"));
    outsideBefore = outside.snapshot();
  }

  @AfterEach
  void nothingOutsideChanged() throws IOException {
    fifos.forEach(OutsideTree::release);
    opened.forEach(LocalSandbox::close);
    assertThat(outside.snapshot()).as("the outside tree, byte for byte").isEqualTo(outsideBefore);
  }

  private LocalSandbox sandbox(ConfinedFiles.RaceHook hook) {
    // Full stat scans: the walk steps these tests race happen at every files()/scanChanges() then
    // (with the default watcher a scan walks only what an event names; the walk code is the same).
    LocalSandbox s = LocalSandbox.builder(root).unisolated().changeDetection(ChangeDetection.STAT_EVERY_SCAN)
        .raceHook((step, path) -> {
          if (armed.get()) {
            hook.at(step, path);
          }
        }).build();
    opened.add(s);
    armed.set(true);
    return s;
  }

  /** Runs {@code op} under the hang detector; on a hang, releases the FIFOs so the JVM can go on. */
  private <T> T withinDeadline(ThrowingSupplier<T> op) {
    try {
      return assertTimeoutPreemptively(DEADLINE, op, () -> {
        fifos.forEach(OutsideTree::release);
        return "the operation hung (blocked on a FIFO?)";
      });
    } catch (RuntimeException | Error e) {
      throw e;
    }
  }

  private void withinDeadlineRefused(ThrowingSupplier<?> op, String messagePart) {
    assertThatThrownBy(() -> withinDeadline(op)).isInstanceOf(PathRefusedException.class).hasMessageContaining(messagePart);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Path fifo(String name) throws Exception {
    Path p = base.resolve(name);
    OutsideTree.mkfifo(p);
    fifos.add(p);
    return p;
  }

  /** A hook that runs {@code swap} once, the first time {@code step} is reached for {@code path}. */
  private static ConfinedFiles.RaceHook once(String step, String path, IoAction swap) {
    AtomicInteger runs = new AtomicInteger();
    return (s, p) -> {
      if (s.equals(step) && p.equals(path) && runs.getAndIncrement() == 0) {
        swap.run();
      }
    };
  }

  @FunctionalInterface
  interface IoAction {
    void run() throws IOException;
  }

  private void swapForSymlinkToOutside(String dir) throws IOException {
    Files.move(root.resolve(dir), root.resolve(dir + "-moved"));
    Files.createSymbolicLink(root.resolve(dir), outside.dir);
  }

  // ---------------------------------------------------------------- creating directories

  @Test
  void aParentSwappedForASymlinkWhileADirectoryIsCreatedGetsItInsideNeverOutside() throws IOException {
    Files.createDirectories(root.resolve("src"));
    LocalSandbox s = sandbox(once("mkdir", "src/new", () -> swapForSymlinkToOutside("src")));
    WriteOutcome outcome = withinDeadline(() -> s.write("src/new/deep/x.txt", utf8("inside")));
    // The new directory went into the directory that was checked, wherever that is now.
    assertThat(outcome).isEqualTo(WriteOutcome.CREATED);
    assertThat(root.resolve("src-moved/new/deep/x.txt")).hasContent("inside");
    assertThat(outside.dir.resolve("new")).doesNotExist();
  }

  @Test
  void aDirectorySwappedForASymlinkBetweenItsCheckAndItsOpenIsRefusedAndCreatesNothing() throws IOException {
    Files.createDirectories(root.resolve("src/a"));
    LocalSandbox s = sandbox(once("descend", "src/a", () -> {
      Files.move(root.resolve("src/a"), root.resolve("src/a-moved"));
      Files.createSymbolicLink(root.resolve("src/a"), outside.dir);
    }));
    withinDeadlineRefused(() -> s.write("src/a/b/c/x.txt", utf8("x")), "no longer the directory that was checked");
    assertThat(outside.dir.resolve("b")).doesNotExist();
  }

  @Test
  void aParentSwappedAfterItWasEnteredKeepsTheWriteInTheDirectoryThatWasChecked() throws IOException {
    Files.createDirectories(root.resolve("src/a"));
    LocalSandbox s = sandbox(once("descend", "src/a", () -> swapForSymlinkToOutside("src")));
    assertThat(withinDeadline(() -> s.write("src/a/b/c/x.txt", utf8("x")))).isEqualTo(WriteOutcome.CREATED);
    assertThat(root.resolve("src-moved/a/b/c/x.txt")).hasContent("x");
    assertThat(outside.dir.resolve("a")).doesNotExist();
  }

  @Test
  void aFreshTopLevelDirectorySwappedForASymlinkIsRefused() throws IOException {
    LocalSandbox s = sandbox(once("descend", "fresh", () -> {
      Files.delete(root.resolve("fresh"));
      Files.createSymbolicLink(root.resolve("fresh"), outside.dir);
    }));
    withinDeadlineRefused(() -> s.write("fresh/deeper/x.txt", utf8("x")), "no longer the directory that was checked");
    assertThat(outside.dir.resolve("deeper")).doesNotExist();
  }

  @Test
  void noTemporaryDirectoryIsLeftBehindWhenARacerCreatesTheDirectoryFirst() throws IOException {
    Files.createDirectories(root.resolve("src"));
    LocalSandbox s = sandbox(once("mkdir", "src/lib", () -> Files.createDirectories(root.resolve("src/lib/theirs"))));
    assertThat(withinDeadline(() -> s.write("src/lib/mine.txt", utf8("mine")))).isEqualTo(WriteOutcome.CREATED);
    assertThat(root.resolve("src/lib/mine.txt")).hasContent("mine");
    assertThat(root.resolve("src/lib/theirs")).isDirectory();
    try (var entries = Files.list(root)) {
      assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("src");
    }
  }

  // ---------------------------------------------------------------- FIFOs

  @Test
  void aFileSwappedForAFifoBeforeItIsOpenedIsRefusedWithoutBlocking() throws Exception {
    Files.writeString(root.resolve("a.txt"), "inside");
    Path pipe = fifo("pipe");
    LocalSandbox s = sandbox((step, path) -> {
      if (step.equals("open") && path.equals("a.txt") && Files.isRegularFile(root.resolve("a.txt"), LinkOption.NOFOLLOW_LINKS)) {
        Files.move(root.resolve("a.txt"), root.resolve("a.txt.moved"));
        Files.move(pipe, root.resolve("a.txt"));
        fifos.add(root.resolve("a.txt"));
      }
    });
    withinDeadlineRefused(() -> s.read("a.txt"), "not a regular file");
    assertThat(Files.readAttributes(root.resolve("a.txt"), java.nio.file.attribute.BasicFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS).isOther()).as("the FIFO is still there, untouched").isTrue();
  }

  @Test
  void tryReadSearchWriteAndScansAlsoNeverBlockOnASwappedFifo() throws Exception {
    Files.writeString(root.resolve("a.txt"), "needle");
    Path pipe = fifo("pipe");
    Path hold = base.resolve("hold");
    fifos.add(root.resolve("a.txt"));
    // At every open of a.txt: the file goes out, the FIFO comes in.
    LocalSandbox s = sandbox((step, path) -> {
      if (step.equals("open") && path.equals("a.txt") && Files.isRegularFile(root.resolve("a.txt"), LinkOption.NOFOLLOW_LINKS)) {
        Files.move(root.resolve("a.txt"), hold);
        Files.move(pipe, root.resolve("a.txt"));
      }
    });
    IoAction fileBack = () -> {
      Files.move(root.resolve("a.txt"), pipe);
      Files.move(hold, root.resolve("a.txt"));
    };
    assertThatThrownBy(() -> withinDeadline(() -> s.tryRead("a.txt"))).isInstanceOf(PathRefusedException.class)
        .hasMessageContaining("not a regular file");
    fileBack.run();
    assertThat(withinDeadline(() -> s.search(SearchQuery.literal("needle")).matches()))
        .as("the file is skipped, not waited for").isEmpty();
    fileBack.run();
    // Same size as the file: the write compares content first, which opens the name again.
    assertThatThrownBy(() -> withinDeadline(() -> s.write("a.txt", utf8("needle"))))
        .isInstanceOf(PathRefusedException.class).hasMessageContaining("not a regular file");
    fileBack.run();
    Files.writeString(root.resolve("a.txt"), "needl2");
    // A file changed within the racy window is hashed by the scan: one more open.
    assertThat(withinDeadline(() -> s.scanChanges().paths())).contains("a.txt");
    assertThat(Files.readAttributes(root.resolve("a.txt"), java.nio.file.attribute.BasicFileAttributes.class,
        LinkOption.NOFOLLOW_LINKS).isOther()).as("the scan did open it (and so met the FIFO)").isTrue();
  }

  @Test
  void aDirectorySwappedForAFifoBeforeDescendingIsRefusedWithoutBlocking() throws Exception {
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/a.txt"), "inside");
    Path pipe = fifo("pipe");
    Supplier<ConfinedFiles.RaceHook> swap = () -> once("descend", "src", () -> {
      Files.move(root.resolve("src"), root.resolve("src-moved"));
      Files.move(pipe, root.resolve("src"));
      fifos.add(root.resolve("src"));
    });
    withinDeadlineRefused(() -> sandbox(swap.get()).read("src/a.txt"), "swapped");
    assertThat(Files.isDirectory(root.resolve("src"), LinkOption.NOFOLLOW_LINKS)).isFalse();
  }

  @Test
  void aDirectorySwappedForAFifoDuringAWalkIsSkippedWithoutBlocking() throws Exception {
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/a.txt"), "inside");
    Files.writeString(root.resolve("top.txt"), "top");
    Path pipe = fifo("pipe");
    LocalSandbox s = sandbox(once("walk", "src", () -> {
      Files.move(root.resolve("src"), root.resolve("src-moved"));
      Files.move(pipe, root.resolve("src"));
      fifos.add(root.resolve("src"));
    }));
    assertThat(withinDeadline(() -> s.files())).as("src was a directory when stat'ed; the FIFO it became is not entered")
        .containsOnlyKeys("top.txt");
    assertThat(withinDeadline(() -> s.list("", true, 100))).extracting(FileEntry::path)
        .as("a FIFO is never listed").containsExactly("src-moved", "src-moved/a.txt", "top.txt");
  }

  // ---------------------------------------------------------------- stats and listings

  @Test
  void aDirectorySwappedForASymlinkDuringAListingReportsNothingOfOutside() throws IOException {
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/own.js"), "own");
    LocalSandbox s = sandbox(once("walk", "src", () -> swapForSymlinkToOutside("src")));
    List<FileEntry> entries = withinDeadline(() -> s.list("", true, 100));
    assertThat(entries).extracting(FileEntry::path).containsExactly("src");
    assertThat(entries).extracting(FileEntry::size).doesNotContain((long) OutsideTree.CANARY_SIZE);
  }

  @Test
  void theCtimeStatRacingASwapNeverLendsOutsideSizesAndMarksTheFileChanged() throws IOException {
    // Inside src/canary.txt is 6 bytes; outside/canary.txt, which the path stat reaches after the
    // swap, is 4099.
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/canary.txt"), "inside");
    AtomicInteger armed = new AtomicInteger();
    LocalSandbox s = sandbox((step, path) -> {
      if (armed.get() == 1 && step.equals("ctime") && path.equals("src/canary.txt")) {
        armed.set(2);
        swapForSymlinkToOutside("src");
      }
    });
    s.acknowledgeChanges(s.scanChanges().generation());
    armed.set(1);
    assertThat(withinDeadline(() -> s.files())).containsEntry("src/canary.txt", 6L);
    assertThat(armed.get()).as("the swap happened").isEqualTo(2);
    // Undo the swap: the file is as it was, but its ctime was unknown, so it is reported (never missed).
    Files.delete(root.resolve("src"));
    Files.move(root.resolve("src-moved"), root.resolve("src"));
    assertThat(s.scanChanges().paths()).contains("src/canary.txt");
  }

  @Test
  void aSymlinkSwappedWhileItsTextIsReadIsRefused() throws IOException {
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/a.txt"), "inside");
    Files.createSymbolicLink(root.resolve("alias"), Path.of("src/a.txt"));
    LocalSandbox s = sandbox((step, path) -> {
      if (step.equals("readlink") && path.endsWith("alias") && !Files.exists(root.resolve("alias-old"), LinkOption.NOFOLLOW_LINKS)) {
        Files.move(root.resolve("alias"), root.resolve("alias-old"));
        Files.createSymbolicLink(root.resolve("alias"), outside.canary());
      }
    });
    withinDeadlineRefused(() -> s.read("alias"), "changed while its symbolic links were being resolved");
  }

  @Test
  void aFileSwappedForAnOutsideSymlinkAfterTheCheckIsNeverRead() throws IOException {
    Files.writeString(root.resolve("a.txt"), "inside");
    LocalSandbox s = sandbox(once("open", "a.txt", () -> {
      Files.delete(root.resolve("a.txt"));
      Files.createSymbolicLink(root.resolve("a.txt"), outside.canary());
    }));
    assertThatThrownBy(() -> withinDeadline(() -> s.read("a.txt")))
        .isInstanceOf(PathRefusedException.class).hasMessageNotContaining(OutsideTree.SECRET);
  }
}
