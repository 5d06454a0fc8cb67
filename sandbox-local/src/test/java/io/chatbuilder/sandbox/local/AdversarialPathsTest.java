package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.Exclusions;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.WriteOutcome;
import io.chatbuilder.testkit.HostilePathsContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile paths against a real directory: the testkit's {@link HostilePathsContract} (which every
 * implementation on a disk runs), plus what only sandbox-local has: race hooks between check and
 * use, a crash before a write's commit, its reserved temporary names, configurable exclusions and
 * the names on disk the API refuses. As in the contract, nothing outside the root may change.
 */
class AdversarialPathsTest extends HostilePathsContract {
  @Override
  protected Sandbox openSandbox(Path root) {
    return LocalSandbox.builder(root).maxFileBytes(MAX_FILE_BYTES).unisolated().build();
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
    // The byte search walks the tree (the walk is what this races); the ripgrep search does not walk.
    LocalSandbox racy = LocalSandbox.builder(root).unisolated().searchEngine(SearchEngine.PARALLEL_BYTES).raceHook((step, path) -> {
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
  void aDirectorySwappedForASymlinkAfterRipgrepsLastSearchIsNotSearchedThrough() throws IOException {
    RipgrepSupport.require();
    Path elsewhere = Files.createTempDirectory("elsewhere");
    try {
      Files.writeString(elsewhere.resolve("own.js"), "OUTSIDE-SECRET");
      sandbox.write("src/own.js", utf8("own OUTSIDE"));
      try (LocalSandbox rg = LocalSandbox.builder(root).unisolated().searchEngine(SearchEngine.RIPGREP)
          .searchClockNanos(() -> System.currentTimeMillis() * 1_000_000L + SearchEnginesAgreeTest.AHEAD_NANOS).build()) {
        assertThat(rg.search(SearchQuery.literal("OUTSIDE")).matches()).extracting(m -> m.path()).containsExactly("src/own.js");
        // src/own.js now has a trusted text mark; the same path through a symlinked src would be elsewhere's file.
        Files.move(root.resolve("src"), root.resolve("src-old"));
        Files.createSymbolicLink(root.resolve("src"), elsewhere);
        long answered = rg.ripgrepSearches();
        assertThat(rg.search(SearchQuery.literal("OUTSIDE-SECRET")).matches()).isEmpty();
        assertThat(rg.search(SearchQuery.literal("OUTSIDE")).matches()).extracting(m -> m.path())
            .containsExactly("src-old/own.js");
        assertThat(rg.ripgrepSearches()).isGreaterThan(answered);
      } finally {
        Files.delete(root.resolve("src"));
      }
    } finally {
      Files.deleteIfExists(elsewhere.resolve("own.js"));
      Files.deleteIfExists(elsewhere);
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
