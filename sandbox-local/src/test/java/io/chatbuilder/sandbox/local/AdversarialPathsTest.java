package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.WriteOutcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hostile paths against a real directory. Next to the root live {@code app-x} (a sibling whose name
 * starts with the root's) and {@code outside}; every test ends by checking that nothing there was
 * read into a result, written, created or deleted.
 */
class AdversarialPathsTest {
  @TempDir Path base;
  Path root;
  Path sibling;
  Path outside;
  LocalSandbox sandbox;
  Map<String, String> outsideBefore;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(base.resolve("app"));
    sibling = Files.createDirectories(base.resolve("app-x"));
    outside = Files.createDirectories(base.resolve("outside"));
    Files.writeString(sibling.resolve("secret.txt"), "SIBLING-SECRET");
    Files.writeString(outside.resolve("canary.txt"), "OUTSIDE-SECRET");
    Files.setLastModifiedTime(outside.resolve("canary.txt"), FileTime.fromMillis(1_000_000_000_000L));
    outsideBefore = snapshot();
    sandbox = LocalSandbox.builder(root).maxFileBytes(1024).unisolated().build();
  }

  @AfterEach
  void nothingOutsideChanged() throws IOException {
    sandbox.close();
    assertThat(snapshot()).as("files outside the root").isEqualTo(outsideBefore);
  }

  /** Every file and directory outside the root: path to content and mtime. */
  private Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (Path dir : List.of(sibling, outside)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.toList()) {
          String kind = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir"
              : Files.readString(p) + "@" + Files.getLastModifiedTime(p).toMillis();
          out.put(base.relativize(p).toString(), kind);
        }
      }
    }
    return out;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertRefused(Runnable attempt, String messagePart) {
    assertThatThrownBy(attempt::run)
        .isInstanceOf(PathRefusedException.class)
        .hasMessageContaining(messagePart)
        .satisfies(e -> assertThat(((PathRefusedException) e).code()).isEqualTo(ErrorCode.PATH_REFUSED));
  }

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
    // "app-x" starts with "app": a string prefix check would let it through.
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
    assertThat(Files.readAttributes(root.resolve("pipe"), java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()).as("the FIFO is left alone").isTrue();
  }

  @Test
  void directorySwappedForASymlinkBetweenCheckAndUseIsRefused() throws IOException {
    sandbox.write("src/keep.txt", utf8("keep"));
    AtomicBoolean armed = new AtomicBoolean();
    LocalSandbox racy = LocalSandbox.builder(root).unisolated().raceHook((step, path) -> {
      if (armed.get() && step.equals("descend") && path.equals("src") && Files.isDirectory(root.resolve("src"), LinkOption.NOFOLLOW_LINKS)) {
        Files.move(root.resolve("src"), root.resolve("src-old"));
        Files.createSymbolicLink(root.resolve("src"), outside);
      }
    }).build();
    armed.set(true);
    try {
      assertRefused(() -> racy.write("src/evil.txt", utf8("pwned")), "swapped");
      assertThat(outside.resolve("evil.txt")).doesNotExist();
    } finally {
      racy.close();
    }
  }

  @Test
  void fileSwappedForAnOutsideSymlinkBeforeOpeningIsNotRead() throws IOException {
    sandbox.write("a.txt", utf8("harmless"));
    AtomicBoolean armed = new AtomicBoolean();
    LocalSandbox racy = LocalSandbox.builder(root).unisolated().raceHook((step, path) -> {
      if (armed.get() && step.equals("open") && path.equals("a.txt") && !Files.isSymbolicLink(root.resolve("a.txt"))) {
        Files.delete(root.resolve("a.txt"));
        Files.createSymbolicLink(root.resolve("a.txt"), outside.resolve("canary.txt"));
      }
    }).build();
    armed.set(true);
    try {
      assertThatThrownBy(() -> racy.read("a.txt"))
          .isInstanceOf(PathRefusedException.class)
          .hasMessageNotContaining("OUTSIDE-SECRET");
    } finally {
      racy.close();
    }
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
  void aWriteThatDiesBeforeItsCommitLeavesTheOldFileWhole() throws IOException {
    sandbox.write("app.js", utf8("version 1"));
    LocalSandbox crashing = LocalSandbox.builder(root).unisolated().raceHook((step, path) -> {
      if (step.equals("commit")) {
        throw new IOException("disk unplugged");
      }
    }).build();
    try {
      assertThatThrownBy(() -> crashing.write("app.js", utf8("version 2, much longer"))).isInstanceOf(SandboxException.class);
      assertThat(root.resolve("app.js")).hasContent("version 1");
      try (Stream<Path> files = Files.list(root)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly("app.js");
      }
    } finally {
      crashing.close();
    }
  }

  @Test
  void leftoverTemporaryFilesAreNeverListedAndTheirNamesAreReserved() throws IOException {
    Files.writeString(root.resolve(ConfinedFiles.TEMP_PREFIX + "abc"), "half a file");
    assertThat(sandbox.files()).isEmpty();
    assertRefused(() -> sandbox.write(ConfinedFiles.TEMP_PREFIX + "x", utf8("x")), "reserved");
  }

  @Test
  void sizeCapsAndBinaryFiles() throws IOException {
    Files.write(root.resolve("big.bin"), new byte[1025]);
    assertThatThrownBy(() -> sandbox.read("big.bin")).isInstanceOf(TooLargeException.class).hasMessageContaining("1024 byte limit");
    assertThatThrownBy(() -> sandbox.write("big2.bin", new byte[1025])).isInstanceOf(TooLargeException.class);
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
  void excludedDirectoriesAreNeverListedScannedOrSearchedAndExclusionsAreConfigurable() throws IOException {
    Files.createDirectories(root.resolve("node_modules/pkg"));
    Files.writeString(root.resolve("node_modules/pkg/index.js"), "needle");
    Files.createDirectories(root.resolve("src/.git"));
    Files.writeString(root.resolve("src/.git/HEAD"), "needle");
    Files.createDirectories(root.resolve("generated"));
    Files.writeString(root.resolve("generated/out.js"), "needle");
    Files.writeString(root.resolve("main.js"), "needle");

    LocalSandbox custom = LocalSandbox.builder(root).unisolated()
        .exclusions(Exclusions.withExtra(List.of("generated"))).build();
    try {
      assertThat(custom.files()).containsOnlyKeys("main.js");
      assertThat(custom.scanChanges().paths()).containsExactly("main.js");
      assertThat(custom.list("", true, 100)).extracting(FileEntry::path).containsExactly("main.js", "src");
      assertThat(custom.search(SearchQuery.literal("needle")).matches()).extracting(m -> m.path()).containsExactly("main.js");
      assertRefused(() -> custom.write("generated/x.js", utf8("x")), "excluded");
      assertRefused(() -> custom.list("node_modules", false, 10), "excluded");
    } finally {
      custom.close();
    }
    // Reading an excluded file is allowed (the agent may look at a dependency); it is just never tracked.
    assertThat(sandbox.read("node_modules/pkg/index.js").text()).contains("needle");
  }

  @Test
  void nothingIsWrittenOutsideWhenARefusedApplyContainsAHostilePath() {
    assertThatThrownBy(() -> sandbox.apply(Map.of("ok.txt", Optional.of(utf8("ok")), "../outside/canary.txt", Optional.empty())))
        .isInstanceOf(PathRefusedException.class);
    assertThat(sandbox.files()).as("a bad path changes nothing").isEmpty();
  }

  @Test
  void deletingOrRenamingADirectoryNeverFollowsSymlinksInside() throws IOException {
    sandbox.write("dir/own.txt", utf8("own"));
    Files.createSymbolicLink(root.resolve("dir/escape"), outside);
    Files.createSymbolicLink(root.resolve("dir/secret"), sibling.resolve("secret.txt"));
    sandbox.rename("dir", "moved");
    assertThat(Files.isSymbolicLink(root.resolve("moved/escape"))).isTrue();
    assertThat(sandbox.delete("moved")).containsExactly("moved/own.txt");
    assertThat(root.resolve("moved")).doesNotExist();
    // The snapshot check after the test proves outside/ and app-x/ are intact.
  }

  @Test
  void aDirectorySwappedForASymlinkDuringAScanIsNotTraversed() throws IOException {
    sandbox.write("src/own.js", utf8("own"));
    AtomicBoolean armed = new AtomicBoolean();
    LocalSandbox racy = LocalSandbox.builder(root).unisolated().raceHook((step, path) -> {
      if (armed.get() && step.equals("walk") && path.equals("src") && !Files.isSymbolicLink(root.resolve("src"))) {
        Files.move(root.resolve("src"), root.resolve("src-old"));
        Files.createSymbolicLink(root.resolve("src"), outside);
      }
    }).build();
    armed.set(true);
    try {
      assertThat(racy.files()).as("nothing of outside/ is listed").doesNotContainKey("src/canary.txt");
      assertThat(racy.search(SearchQuery.literal("OUTSIDE-SECRET")).matches()).isEmpty();
    } finally {
      racy.close();
      Files.delete(root.resolve("src"));
    }
  }

  @Test
  void excludedDirectoriesInAnyLetterCaseOnDiskAreNeverListedScannedOrSearched() throws IOException {
    for (String dir : List.of(".GIT/hooks", "Node_Modules/.bin", "sub/.Git", "DIST")) {
      Files.createDirectories(root.resolve(dir));
      Files.writeString(root.resolve(dir).resolve("x.js"), "needle");
    }
    Files.writeString(root.resolve("main.js"), "needle");
    LocalSandbox fresh = LocalSandbox.builder(root).unisolated().build();
    try {
      assertThat(fresh.files()).containsOnlyKeys("main.js");
      assertThat(fresh.scanChanges().paths()).containsExactly("main.js");
      assertThat(fresh.list("", true, 100)).extracting(FileEntry::path).containsExactly("main.js", "sub");
      assertThat(fresh.search(SearchQuery.literal("needle")).matches()).extracting(m -> m.path()).containsExactly("main.js");
      assertRefused(() -> fresh.write(".GIT/hooks/pre-commit", utf8("x")), "excluded");
      assertRefused(() -> fresh.write("Node_Modules/.bin/vite", utf8("x")), "excluded");
      assertRefused(() -> fresh.list(".GIT", false, 10), "excluded");
      assertThat(root.resolve(".GIT/hooks/pre-commit")).doesNotExist();
    } finally {
      fresh.close();
    }
  }

  @Test
  void theSdksOwnFilesOnDiskAreInvisibleToTheFileTools() throws IOException {
    Files.createDirectories(root.resolve(".chatbuilder/home"));
    Files.writeString(root.resolve(".chatbuilder/home/token"), "needle");
    Files.writeString(root.resolve("src-" + "x"), "plain");
    Files.createDirectories(root.resolve("src"));
    Files.writeString(root.resolve("src/" + ConfinedFiles.TEMP_PREFIX + "0123"), "needle half-written");
    Files.createDirectories(root.resolve(ConfinedFiles.TEMP_PREFIX + "dir/inner"));
    Files.createSymbolicLink(root.resolve("alias"), Path.of(".chatbuilder/home/token"));
    LocalSandbox fresh = LocalSandbox.builder(root).unisolated().build();
    try {
      assertThat(fresh.files()).containsOnlyKeys("src-x");
      assertThat(fresh.list("", true, 100)).extracting(FileEntry::path).containsExactly("src", "src-x");
      assertThat(fresh.search(SearchQuery.literal("needle")).matches()).isEmpty();
      assertRefused(() -> fresh.read(".chatbuilder/home/token"), "reserved for the SDK");
      assertRefused(() -> fresh.list(".chatbuilder", true, 10), "reserved for the SDK");
      assertRefused(() -> fresh.delete(".chatbuilder"), "reserved for the SDK");
      assertRefused(() -> fresh.rename(".chatbuilder", "stolen"), "reserved for the SDK");
      assertRefused(() -> fresh.read("src/" + ConfinedFiles.TEMP_PREFIX + "0123"), "reserved for the SDK");
      assertRefused(() -> fresh.read("alias"), "a name the sandbox does not serve");
      // Deleting a directory reports only what the sandbox can address.
      assertThat(fresh.delete("src")).isEmpty();
      assertThat(root.resolve(".chatbuilder/home/token")).hasContent("needle");
    } finally {
      fresh.close();
    }
  }

  @Test
  void namesOnDiskThatTheApiRefusesAreNeverReported() throws Exception {
    Files.writeString(root.resolve("invoice\u202Egpj.js"), "bidi");
    Files.writeString(root.resolve("zero\u200Bwidth.js"), "zw");
    Files.writeString(root.resolve("cafe\u0301.js"), "nfd");
    Files.writeString(root.resolve("ok.js"), "ok");
    // A name that is not UTF-8 at all; Java cannot even name it.
    Process touch = new ProcessBuilder("sh", "-c", "printf x > \"$(printf 'bad\\377name')\"").directory(root.toFile()).start();
    assertThat(touch.waitFor()).isZero();
    try (Stream<Path> entries = Files.list(root)) {
      assertThat(entries.count()).as("all five are on disk").isEqualTo(5);
    }
    LocalSandbox fresh = LocalSandbox.builder(root).unisolated().build();
    try {
      assertThat(fresh.files()).containsOnlyKeys("ok.js");
      assertThat(fresh.scanChanges().paths()).containsExactly("ok.js");
      assertThat(fresh.list("", true, 100)).extracting(FileEntry::path).containsExactly("ok.js");
    } finally {
      fresh.close();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS) // a socket must not be waited on either
  void socketsAreNeverOpenedOrListed() throws IOException {
    Path socket = root.resolve("app.sock");
    try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      server.bind(java.net.UnixDomainSocketAddress.of(socket));
      sandbox.write("real.txt", utf8("x"));
      assertRefused(() -> sandbox.read("app.sock"), "not a regular file");
      assertThat(sandbox.tryRead("app.sock")).isEmpty();
      assertRefused(() -> sandbox.write("app.sock", utf8("x")), "not a regular file");
      assertThat(sandbox.files()).containsOnlyKeys("real.txt");
      assertThat(sandbox.list("", true, 10)).extracting(FileEntry::path).containsExactly("real.txt");
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  @Test
  void aRewriteKeepsTheExecutableBit() throws IOException {
    Path script = root.resolve("run.sh");
    Files.writeString(script, "#!/bin/sh\necho 1\n");
    Files.setPosixFilePermissions(script, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(sandbox.write("run.sh", utf8("#!/bin/sh\necho 2\n"))).isEqualTo(WriteOutcome.MODIFIED);
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(script))).isEqualTo("rwxr-xr-x");
  }
}
