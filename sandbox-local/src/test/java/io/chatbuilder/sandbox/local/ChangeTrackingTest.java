package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.sandbox.ChangeScan;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stat cache against the classic traps of change detection (with the default watcher), and restore's mtime promise. */
class ChangeTrackingTest {
  private static final FileTime OLD = FileTime.fromMillis(1_600_000_000_000L);

  @TempDir Path base;
  Path root;
  /** Added to the wall clock: moving it past the racy window makes recent files "old". */
  final AtomicLong clockOffsetNanos = new AtomicLong();
  LocalSandbox sandbox;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(base.resolve("app"));
  }

  @AfterEach
  void tearDown() {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private LocalSandbox open(ChangeDetection detection, UnaryOperator<FileStat> statView) {
    sandbox = LocalSandbox.builder(root).unisolated().changeDetection(detection)
        .clockNanos(() -> System.currentTimeMillis() * 1_000_000L + clockOffsetNanos.get())
        .statView(statView).build();
    return sandbox;
  }

  /** The detection under test: the default (the watcher); {@link StatScanChangeTrackingTest} runs the same traps with full stat scans. */
  ChangeDetection detection() {
    return ChangeDetection.WATCH;
  }

  private LocalSandbox open() {
    return open(detection(), UnaryOperator.identity());
  }

  /** Lets time pass for the tracker, so files written so far are no longer racy. */
  private void laterThanTheRacyWindow() {
    clockOffsetNanos.addAndGet(ChangeTracker.RACY_WINDOW.toNanos() * 5);
  }

  private java.util.Set<String> scanAndAcknowledge() {
    ChangeScan scan = sandbox.scanChanges();
    sandbox.acknowledgeChanges(scan.generation());
    return scan.paths();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void firstScanReportsEveryExistingFileThenOnlyChanges() throws IOException {
    Files.writeString(root.resolve("index.html"), "<h1>x</h1>");
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/main.js"), "main");
    open();
    assertThat(scanAndAcknowledge()).containsExactly("index.html", "src/main.js");
    assertThat(scanAndAcknowledge()).isEmpty();
  }

  @Test
  void sdkWritesCostReadsOnlyForTheFilesChanged() throws IOException {
    Files.createDirectories(root.resolve("src"));
    for (int i = 0; i < 300; i++) {
      Files.writeString(root.resolve("src/file" + i + ".js"), "export const v = " + i + ";\n");
    }
    open();
    laterThanTheRacyWindow();
    assertThat(scanAndAcknowledge()).hasSize(300);
    long readsBefore = sandbox.contentReadsForScans();

    sandbox.write("src/file7.js", utf8("changed"));
    sandbox.write("src/new.js", utf8("new"));
    sandbox.delete("src/file9.js");
    assertThat(scanAndAcknowledge()).containsExactly("src/file7.js", "src/file9.js", "src/new.js");
    assertThat(sandbox.contentReadsForScans() - readsBefore).as("files read by the scan").isLessThanOrEqualTo(2);
  }

  @Test
  void sdkOnlyDetectionScansWithoutWalkingTheTree() throws IOException {
    Files.writeString(root.resolve("a.txt"), "a");
    open(ChangeDetection.SDK_AND_COMMANDS, UnaryOperator.identity());
    assertThat(scanAndAcknowledge()).containsExactly("a.txt");
    long walks = sandbox.fullRescans();
    sandbox.write("b.txt", utf8("b"));
    assertThat(scanAndAcknowledge()).containsExactly("b.txt");
    assertThat(sandbox.fullRescans()).as("no tree walk for SDK-only changes").isEqualTo(walks);

    // A command may change anything: the next scan walks the tree and finds its writes.
    sandbox.write("touch.js", utf8("require('fs').writeFileSync('by-command.txt', 'x')"));
    CommandResult result = sandbox.run(CommandRequest.of("node", "touch.js"), CommandListener.NONE, new Cancellation());
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    assertThat(scanAndAcknowledge()).contains("by-command.txt", "touch.js");
    assertThat(sandbox.fullRescans()).isGreaterThan(walks);
  }

  @Test
  void anEditThatKeepsSizeAndMtimeIsFound() throws IOException {
    Path file = root.resolve("config.js");
    Files.writeString(file, "mode = 'light'");
    Files.setLastModifiedTime(file, OLD);
    open();
    laterThanTheRacyWindow();
    scanAndAcknowledge();

    Files.writeString(file, "mode = 'dark!'");
    Files.setLastModifiedTime(file, OLD);
    assertThat(Files.size(file)).isEqualTo(14);
    assertThat(scanAndAcknowledge()).containsExactly("config.js");
  }

  @Test
  void anEditInTheSameSecondAsTheScanIsFoundOnACoarseClockFileSystem() throws IOException {
    // A file system with one-second timestamps and no usable ctime or inode (FAT, some network and
    // FUSE mounts): the rewrite below is invisible to stat, only the racy check catches it.
    UnaryOperator<FileStat> coarse = s -> new FileStat(s.size(), s.mtimeNanos() / 1_000_000_000L * 1_000_000_000L, 0, 0, 0);
    Path file = root.resolve("app.js");
    open(detection(), coarse);
    sandbox.write("app.js", utf8("let a = 1;"));
    FileTime written = Files.getLastModifiedTime(file);
    assertThat(scanAndAcknowledge()).containsExactly("app.js");

    Files.writeString(file, "let a = 2;");
    Files.setLastModifiedTime(file, written);
    assertThat(scanAndAcknowledge()).as("same size, same second: found by content hash").containsExactly("app.js");
    assertThat(scanAndAcknowledge()).isEmpty();
  }

  @Test
  void aRacyEntryStopsCostingReadsOnceItIsOld() throws IOException {
    open();
    sandbox.write("a.txt", utf8("a"));
    scanAndAcknowledge();
    laterThanTheRacyWindow();
    scanAndAcknowledge(); // last content check
    long reads = sandbox.contentReadsForScans();
    scanAndAcknowledge();
    scanAndAcknowledge();
    assertThat(sandbox.contentReadsForScans()).isEqualTo(reads);
  }

  @Test
  void aFileReplacedByADirectoryIsFound() throws IOException {
    Files.writeString(root.resolve("thing"), "file");
    open();
    scanAndAcknowledge();
    Files.delete(root.resolve("thing"));
    Files.createDirectories(root.resolve("thing"));
    Files.writeString(root.resolve("thing/inner.txt"), "inner");
    assertThat(scanAndAcknowledge()).containsExactly("thing", "thing/inner.txt");
    assertThat(sandbox.files()).containsOnlyKeys("thing/inner.txt");
    assertThat(sandbox.tryRead("thing")).as("a directory is no file").isEmpty();
  }

  @Test
  void aFileReplacedByASymlinkIsReportedAsGone() throws IOException {
    Files.writeString(root.resolve("a.txt"), "a");
    Files.writeString(root.resolve("b.txt"), "b");
    open();
    scanAndAcknowledge();
    Files.delete(root.resolve("a.txt"));
    Files.createSymbolicLink(root.resolve("a.txt"), Path.of("b.txt"));
    assertThat(scanAndAcknowledge()).containsExactly("a.txt");
    assertThat(sandbox.files()).containsOnlyKeys("b.txt");
  }

  @Test
  void deleteThenRecreateWithTheSameSizeAndMtimeIsFound() throws IOException {
    Path file = root.resolve("data.json");
    Files.writeString(file, "{\"v\":1}");
    Files.setLastModifiedTime(file, OLD);
    open();
    laterThanTheRacyWindow();
    scanAndAcknowledge();

    Files.delete(file);
    Files.writeString(file, "{\"v\":2}");
    Files.setLastModifiedTime(file, OLD);
    assertThat(scanAndAcknowledge()).containsExactly("data.json");
  }

  @Test
  void externalDeletesAndAdditionsAreFound() throws IOException {
    Files.writeString(root.resolve("gone.txt"), "x");
    open();
    scanAndAcknowledge();
    Files.delete(root.resolve("gone.txt"));
    Files.createDirectories(root.resolve("deep/er"));
    Files.writeString(root.resolve("deep/er/new.txt"), "y");
    Files.createDirectories(root.resolve("node_modules/x"));
    Files.writeString(root.resolve("node_modules/x/ignored.js"), "z");
    assertThat(scanAndAcknowledge()).containsExactly("deep/er/new.txt", "gone.txt");
  }

  @Test
  void renamesReportBothPaths() throws IOException {
    open();
    sandbox.write("src/a.js", utf8("a"));
    sandbox.write("src/b.js", utf8("b"));
    scanAndAcknowledge();
    sandbox.rename("src", "lib");
    assertThat(scanAndAcknowledge()).containsExactly("lib/a.js", "lib/b.js", "src/a.js", "src/b.js");
    assertThat(scanAndAcknowledge()).isEmpty();
  }

  @Test
  void restoreWritesOnlyWhatDiffersSoUntouchedFilesKeepTheirMtime() throws IOException {
    open();
    Map<String, String> before = Map.of("index.html", "<h1>v1</h1>", "src/main.js", "main", "src/style.css", "body{}",
        "src/App.jsx", "app v1");
    before.forEach((path, text) -> sandbox.write(path, utf8(text)));
    for (String path : before.keySet()) {
      Files.setLastModifiedTime(root.resolve(path), OLD);
    }
    scanAndAcknowledge();

    Map<String, Optional<byte[]>> checkpoint = new HashMap<>();
    before.forEach((path, text) -> checkpoint.put(path, Optional.of(utf8(text))));
    checkpoint.put("src/App.jsx", Optional.of(utf8("app v0")));
    checkpoint.put("src/style.css", Optional.empty());
    checkpoint.put("src/added.js", Optional.of(utf8("added")));
    sandbox.apply(checkpoint);

    for (String untouched : List.of("index.html", "src/main.js")) {
      assertThat(Files.getLastModifiedTime(root.resolve(untouched))).as(untouched).isEqualTo(OLD);
    }
    assertThat(Files.getLastModifiedTime(root.resolve("src/App.jsx"))).isNotEqualTo(OLD);
    assertThat(root.resolve("src/style.css")).doesNotExist();
    assertThat(root.resolve("src/added.js")).hasContent("added");
    assertThat(scanAndAcknowledge()).containsExactly("src/App.jsx", "src/added.js", "src/style.css");
  }

  @Test
  void aKilledCommandsPartialWritesAreStillFound() throws IOException {
    open();
    sandbox.write("w.js", utf8("require('fs').writeFileSync('partial.txt', 'half')\nconsole.log('written')\n"
        + "setInterval(() => {}, 1000)\n"));
    scanAndAcknowledge();
    Cancellation cancellation = new Cancellation();
    CommandListener cancelOnceWritten = new CommandListener() {
      @Override
      public void onStdout(String chunk) {
        if (chunk.contains("written")) {
          cancellation.cancel();
        }
      }
    };
    CommandResult result = sandbox.run(CommandRequest.of("node", "w.js").withTimeout(Duration.ofMinutes(5)),
        cancelOnceWritten, cancellation);
    assertThat(result.cancelled()).isTrue();
    assertThat(scanAndAcknowledge()).containsExactly("partial.txt");
  }
}
