package io.chatbuilder.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile paths against a sandbox on a real directory, for every implementation whose files live
 * on a disk the test can reach (directly, or behind a remote client). Next to the root
 * {@code app} live {@code app-x} (a sibling whose name starts with the root's, so a string-prefix
 * check would let it through) and {@code outside}; every test ends by checking that nothing there
 * was read into a result, written, created or deleted.
 *
 * <p>Extend it and implement {@link #openSandbox(Path)}: a sandbox on that directory with a size
 * cap of {@link #MAX_FILE_BYTES}, default exclusions and default policy. Implementation-specific
 * traps (race hooks, crash points, reserved names) stay in the implementation's own tests.
 */
public abstract class HostilePathsContract {
  /** The size cap the sandbox of {@link #openSandbox(Path)} must have. */
  protected static final int MAX_FILE_BYTES = 1024;

  @TempDir protected Path hostileTree;
  protected Path root;
  protected Path sibling;
  protected Path outside;
  protected Sandbox sandbox;
  private Map<String, String> outsideBefore;

  /** A sandbox on {@code root} (an empty directory) capped at {@link #MAX_FILE_BYTES}. */
  protected abstract Sandbox openSandbox(Path root) throws Exception;

  /** Closes what {@link #openSandbox} opened; override to close servers behind the sandbox too. */
  protected void closeSandbox() throws Exception {
    sandbox.close();
  }

  @BeforeEach
  final void createHostileTree() throws Exception {
    root = Files.createDirectories(hostileTree.resolve("app"));
    sibling = Files.createDirectories(hostileTree.resolve("app-x"));
    outside = Files.createDirectories(hostileTree.resolve("outside"));
    Files.writeString(sibling.resolve("secret.txt"), "SIBLING-SECRET");
    Files.writeString(outside.resolve("canary.txt"), "OUTSIDE-SECRET");
    Files.setLastModifiedTime(outside.resolve("canary.txt"), FileTime.fromMillis(1_000_000_000_000L));
    outsideBefore = outsideSnapshot();
    sandbox = openSandbox(root);
  }

  @AfterEach
  final void nothingOutsideChanged() throws Exception {
    closeSandbox();
    assertThat(outsideSnapshot()).as("files outside the root").isEqualTo(outsideBefore);
  }

  /** Every file and directory outside the root: path to content and mtime. */
  private Map<String, String> outsideSnapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (Path dir : List.of(sibling, outside)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.toList()) {
          String kind = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir"
              : Files.readString(p) + "@" + Files.getLastModifiedTime(p).toMillis();
          out.put(hostileTree.relativize(p).toString(), kind);
        }
      }
    }
    return out;
  }

  protected static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  protected static void assertRefused(Runnable attempt, String messagePart) {
    assertThatThrownBy(attempt::run)
        .isInstanceOf(PathRefusedException.class)
        .hasMessageContaining(messagePart)
        .satisfies(e -> assertThat(((PathRefusedException) e).code()).isEqualTo(ErrorCode.PATH_REFUSED));
  }

  /** Paths that leave the root, spelled every way a client might send them. */
  protected static final List<String> ESCAPES = List.of("../app-x/secret.txt", "../outside/canary.txt",
      "%2e%2e/outside/canary.txt", "src/%2E%2E/../outside/canary.txt", "..%2foutside%2fcanary.txt",
      "./../app-x/secret.txt", "a/b/../../../outside/canary.txt");

  @ParameterizedTest
  @ValueSource(strings = {"../app-x/secret.txt", "../outside/canary.txt", "%2e%2e/outside/canary.txt",
      "src/%2E%2E/../outside/canary.txt", "..%2foutside%2fcanary.txt", "./../app-x/secret.txt", "a/b/../../../outside/canary.txt"})
  void escapesAreRefusedAndReadNothing(String hostile) {
    assertThatThrownBy(() -> sandbox.read(hostile)).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.write(hostile, utf8("pwned"))).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.delete(hostile)).isInstanceOf(PathRefusedException.class);
  }

  @Test
  void absolutePathsToRealFilesOutsideAreRefused() {
    String absolute = outside.resolve("canary.txt").toString();
    assertRefused(() -> sandbox.read(absolute), "absolute");
    assertRefused(() -> sandbox.write(absolute, utf8("pwned")), "absolute");
    assertRefused(() -> sandbox.delete(absolute), "absolute");
    assertRefused(() -> sandbox.list(outside.toString(), true, 10), "absolute");
  }

  @Test
  void symlinkedParentDirectoryLeadingOutsideIsRefusedForEveryOperation() throws IOException {
    Files.createSymbolicLink(root.resolve("link"), Path.of("../outside"));
    sandbox.write("ok.txt", utf8("ok"));
    assertRefused(() -> sandbox.read("link/canary.txt"), "outside");
    assertRefused(() -> sandbox.tryRead("link/canary.txt"), "outside");
    assertRefused(() -> sandbox.write("link/canary.txt", utf8("pwned")), "symbolic link");
    assertRefused(() -> sandbox.write("link/new.txt", utf8("pwned")), "symbolic link");
    assertRefused(() -> sandbox.delete("link/canary.txt"), "symbolic link");
    assertRefused(() -> sandbox.rename("link/canary.txt", "stolen.txt"), "symbolic link");
    assertRefused(() -> sandbox.rename("ok.txt", "link/ok.txt"), "symbolic link");
    assertRefused(() -> sandbox.list("link", true, 10), "symbolic link");
    assertThat(sandbox.files()).containsOnlyKeys("ok.txt");
    assertThat(sandbox.list("", true, 100)).extracting(FileEntry::path).containsExactly("ok.txt");
    assertThat(sandbox.search(SearchQuery.literal("SECRET")).matches()).isEmpty();
  }

  @Test
  void creatingAFileUnderASymlinkedDirectoryIsRefused() throws IOException {
    Files.createSymbolicLink(root.resolve("dirlink"), outside);
    assertRefused(() -> sandbox.write("dirlink/sub/new.txt", utf8("pwned")), "symbolic link");
    assertRefused(() -> sandbox.write("dirlink/new.txt", utf8("pwned")), "symbolic link");
    assertThat(outside.resolve("sub")).doesNotExist();
    assertThat(outside.resolve("new.txt")).doesNotExist();
  }

  @Test
  void finalSymlinkToASiblingWithTheRootsPrefixIsRefused() throws IOException {
    Files.createSymbolicLink(root.resolve("relative"), Path.of("../app-x/secret.txt"));
    Files.createSymbolicLink(root.resolve("absolute"), sibling.resolve("secret.txt"));
    Files.createSymbolicLink(root.resolve("chain"), Path.of("relative"));
    for (String link : List.of("relative", "absolute", "chain")) {
      assertRefused(() -> sandbox.read(link), "outside");
      assertRefused(() -> sandbox.write(link, utf8("pwned")), "symbolic link");
    }
    // Deleting a symlink removes the link, never its target.
    sandbox.delete("absolute");
    assertThat(root.resolve("absolute")).doesNotExist();
    assertThat(sibling.resolve("secret.txt")).hasContent("SIBLING-SECRET");
  }

  @Test
  void symlinksInsideTheRootMayBeReadButAreNeverListedOrWrittenThrough() throws IOException {
    sandbox.write("src/a.txt", utf8("inside"));
    Files.createSymbolicLink(root.resolve("alias.txt"), Path.of("src/a.txt"));
    Files.createSymbolicLink(root.resolve("srclink"), Path.of("src"));
    assertThat(sandbox.read("alias.txt").text()).contains("inside");
    assertThat(sandbox.read("srclink/a.txt").text()).contains("inside");
    assertThat(sandbox.tryRead("srclink/missing.txt")).as("a missing file behind an inside link is just missing").isEmpty();
    assertThat(sandbox.files()).containsOnlyKeys("src/a.txt");
    assertRefused(() -> sandbox.write("alias.txt", utf8("changed")), "symbolic link");
    assertThat(sandbox.read("src/a.txt").text()).contains("inside");
  }

  @Test
  void danglingAndLoopingSymlinksAreRefusedClearly() throws IOException {
    Files.createSymbolicLink(root.resolve("dangling"), Path.of("nowhere/x"));
    Files.createSymbolicLink(root.resolve("loop1"), Path.of("loop2"));
    Files.createSymbolicLink(root.resolve("loop2"), Path.of("loop1"));
    Files.createSymbolicLink(root.resolve("probe"), outside.resolve("does-not-exist"));
    // Same refusal whether an outside target exists or not: reads are no oracle for host paths.
    assertThatThrownBy(() -> sandbox.read("dangling")).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.read("probe")).isInstanceOf(PathRefusedException.class)
        .hasMessage("path refused: probe goes through a symbolic link that leads outside the app root (or nowhere)");
    Files.createSymbolicLink(root.resolve("exists"), outside.resolve("canary.txt"));
    assertThatThrownBy(() -> sandbox.read("exists")).isInstanceOf(PathRefusedException.class)
        .hasMessage("path refused: exists goes through a symbolic link that leads outside the app root (or nowhere)");
    assertThatThrownBy(() -> sandbox.read("loop1")).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.read("loop1/x")).isInstanceOf(PathRefusedException.class);
  }

  @Test
  void devicesReachedBySymlinkAreRefused() throws IOException {
    Files.createSymbolicLink(root.resolve("zero"), Path.of("/dev/zero"));
    Files.createSymbolicLink(root.resolve("passwd"), Path.of("/etc/passwd"));
    assertRefused(() -> sandbox.read("zero"), "outside");
    assertRefused(() -> sandbox.read("passwd"), "outside");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS) // a FIFO opened for reading would block forever
  void fifosAreNeverOpened() throws Exception {
    Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("pipe").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    sandbox.write("real.txt", utf8("needle"));
    assertRefused(() -> sandbox.read("pipe"), "FIFO");
    assertThat(sandbox.tryRead("pipe")).as("no regular file there").isEmpty();
    assertRefused(() -> sandbox.write("pipe", utf8("x")), "FIFO");
    assertThat(sandbox.files()).containsOnlyKeys("real.txt");
    assertThat(sandbox.search(SearchQuery.literal("needle")).matches()).hasSize(1);
    assertThat(sandbox.scanChanges().paths()).doesNotContain("pipe");
    assertThat(Files.readAttributes(root.resolve("pipe"), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther())
        .as("the FIFO is left alone").isTrue();
  }

  @Test
  void writingThroughAHardLinkReplacesTheLinkNotTheOutsideFile() throws IOException {
    Files.createLink(root.resolve("hard.txt"), outside.resolve("canary.txt"));
    assertThat(sandbox.write("hard.txt", utf8("new content"))).isEqualTo(WriteOutcome.MODIFIED);
    assertThat(root.resolve("hard.txt")).hasContent("new content");
    assertThat(outside.resolve("canary.txt")).hasContent("OUTSIDE-SECRET");
    sandbox.delete("hard.txt");
  }

  @Test
  void sizeCapsAndBinaryFiles() throws IOException {
    Files.write(root.resolve("big.bin"), new byte[MAX_FILE_BYTES + 1]);
    assertThatThrownBy(() -> sandbox.read("big.bin")).isInstanceOf(TooLargeException.class)
        .hasMessageContaining(MAX_FILE_BYTES + " byte limit");
    assertThatThrownBy(() -> sandbox.write("big2.bin", new byte[MAX_FILE_BYTES + 1])).isInstanceOf(TooLargeException.class);
    assertThat(root.resolve("big2.bin")).doesNotExist();
    Files.write(root.resolve("image.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2});
    assertThat(sandbox.read("image.png").binary()).isTrue();
    Files.write(root.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9});
    assertThat(sandbox.read("latin1.txt").binary()).as("invalid UTF-8 is binary, not garbled").isTrue();
  }

  @Test
  void directoriesAndFilesInTheWayGiveClearErrors() throws IOException {
    sandbox.write("dir/file.txt", utf8("x"));
    assertThatThrownBy(() -> sandbox.read("dir")).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("directory");
    assertThat(sandbox.tryRead("dir")).isEmpty();
    assertThatThrownBy(() -> sandbox.write("dir", utf8("x"))).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> sandbox.write("dir/file.txt/below.txt", utf8("x"))).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("is a file");
    assertThatThrownBy(() -> sandbox.list("dir/file.txt", false, 10)).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> sandbox.rename("dir", "dir/inner")).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> sandbox.delete("nothing/here")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void nothingIsWrittenOutsideWhenARefusedApplyContainsAHostilePath() {
    assertThatThrownBy(() -> sandbox.apply(Map.of("ok.txt", Optional.of(utf8("ok")), "../outside/canary.txt", Optional.empty())))
        .isInstanceOf(PathRefusedException.class);
    assertThat(sandbox.files()).as("a bad path changes nothing").isEmpty();
  }
}
