package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CommandDeniedException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.TooLargeException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.SearchQuery;
import io.chatbuilder.core.sandbox.WriteOutcome;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import io.chatbuilder.testkit.HostileCommands;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * sandbox-local's hostile paths and command bypasses (copied from its AdversarialPathsTest and
 * AdversarialCommandsTest), sent through the remote client and server to a LocalSandbox on a real
 * directory. Next to the root live {@code app-x} and {@code outside}; every test ends by checking
 * that nothing there changed and that no refused command ran.
 */
class LocalSandboxAdversarialRemoteTest {
  @TempDir static Path base;
  Path root;
  Path sibling;
  Path outside;
  Path marker;
  Map<String, String> outsideBefore;
  SandboxRegistry registry;
  SandboxServer server;
  RemoteSandbox sandbox;
  FaultProxy proxy;

  @BeforeEach
  void setUp() throws IOException {
    Path dir = Files.createTempDirectory(base, "case");
    root = Files.createDirectories(dir.resolve("app"));
    sibling = Files.createDirectories(dir.resolve("app-x"));
    outside = Files.createDirectories(dir.resolve("outside"));
    marker = base.resolve("PWNED");
    Files.writeString(sibling.resolve("secret.txt"), "SIBLING-SECRET");
    Files.writeString(outside.resolve("canary.txt"), "OUTSIDE-SECRET");
    Files.setLastModifiedTime(outside.resolve("canary.txt"), FileTime.fromMillis(1_000_000_000_000L));
    outsideBefore = snapshot();
    registry = new SandboxRegistry();
    String token = SandboxRegistry.newToken();
    registry.register(LocalSandbox.builder(root).id("app").maxFileBytes(1024).unisolated()
        .policy(CommandPolicy.builder().allow("find", "git", "bash").build()).build(), token);
    server = SandboxServer.builder(registry).start();
    proxy = new FaultProxy(server.port());
    sandbox = RemoteSandbox.builder(proxy.url(), "app", token).build();
  }

  @AfterEach
  void nothingOutsideChangedAndNothingRan() throws IOException {
    sandbox.close();
    proxy.close();
    server.close();
    registry.remove("app").ifPresent(s -> s.close());
    assertThat(snapshot()).as("files outside the root").isEqualTo(outsideBefore);
    assertThat(marker).as("no refused command ran").doesNotExist();
  }

  private Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (Path dir : List.of(sibling, outside)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.toList()) {
          String kind = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir"
              : Files.readString(p) + "@" + Files.getLastModifiedTime(p).toMillis();
          out.put(dir.getParent().relativize(p).toString(), kind);
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

  // ---------------------------------------------------------------- paths

  @ParameterizedTest
  @ValueSource(strings = {"../app-x/secret.txt", "../outside/canary.txt", "%2e%2e/outside/canary.txt",
      "src/%2E%2E/../outside/canary.txt", "..%2foutside%2fcanary.txt", "./../app-x/secret.txt", "a/b/../../../outside/canary.txt"})
  void escapesAreRefusedAndReadNothing(String hostile) {
    assertThatThrownBy(() -> sandbox.read(hostile)).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.write(hostile, utf8("pwned"))).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.delete(hostile)).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.stat(hostile)).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> sandbox.snapshot(List.of(hostile))).isInstanceOf(PathRefusedException.class);
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
  void finalSymlinkToASiblingWithTheRootsPrefixIsRefused() throws IOException {
    Files.createSymbolicLink(root.resolve("relative"), Path.of("../app-x/secret.txt"));
    Files.createSymbolicLink(root.resolve("absolute"), sibling.resolve("secret.txt"));
    Files.createSymbolicLink(root.resolve("chain"), Path.of("relative"));
    for (String link : List.of("relative", "absolute", "chain")) {
      assertRefused(() -> sandbox.read(link), "outside");
      assertRefused(() -> sandbox.write(link, utf8("pwned")), "symbolic link");
    }
    sandbox.delete("absolute");
    assertThat(root.resolve("absolute")).doesNotExist();
    assertThat(sibling.resolve("secret.txt")).hasContent("SIBLING-SECRET");
  }

  @Test
  void devicesReachedBySymlinkAreRefused() throws IOException {
    Files.createSymbolicLink(root.resolve("zero"), Path.of("/dev/zero"));
    Files.createSymbolicLink(root.resolve("passwd"), Path.of("/etc/passwd"));
    assertRefused(() -> sandbox.read("zero"), "outside");
    assertRefused(() -> sandbox.read("passwd"), "outside");
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void fifosAreNeverOpened() throws Exception {
    Process mkfifo = new ProcessBuilder("mkfifo", root.resolve("pipe").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    sandbox.write("real.txt", utf8("needle"));
    assertRefused(() -> sandbox.read("pipe"), "FIFO");
    assertThat(sandbox.tryRead("pipe")).isEmpty();
    assertRefused(() -> sandbox.write("pipe", utf8("x")), "FIFO");
    assertThat(sandbox.files()).containsOnlyKeys("real.txt");
    assertThat(sandbox.search(SearchQuery.literal("needle")).matches()).hasSize(1);
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
  void sizeCapsBinaryFilesAndThingsInTheWay() throws IOException {
    Files.write(root.resolve("big.bin"), new byte[1025]);
    assertThatThrownBy(() -> sandbox.read("big.bin")).isInstanceOf(TooLargeException.class).hasMessageContaining("1024 byte limit");
    assertThatThrownBy(() -> sandbox.write("big2.bin", new byte[1025])).isInstanceOf(TooLargeException.class);
    assertThat(root.resolve("big2.bin")).doesNotExist();
    Files.write(root.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xe9});
    assertThat(sandbox.read("latin1.txt").binary()).isTrue();
    sandbox.write("dir/file.txt", utf8("x"));
    assertThatThrownBy(() -> sandbox.read("dir")).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("directory");
    assertThat(sandbox.tryRead("dir")).isEmpty();
    assertThat(sandbox.stat("dir")).hasValueSatisfying(e -> assertThat(e.kind()).isEqualTo(FileEntry.Kind.DIRECTORY));
    assertThatThrownBy(() -> sandbox.write("dir/file.txt/below.txt", utf8("x"))).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("is a file");
    assertThatThrownBy(() -> sandbox.rename("dir", "dir/inner")).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> sandbox.delete("nothing/here")).isInstanceOf(NotFoundException.class);
  }

  @Test
  void nothingIsWrittenOutsideWhenARefusedApplyContainsAHostilePath() {
    assertThatThrownBy(() -> sandbox.apply(Map.of("ok.txt", Optional.of(utf8("ok")), "../outside/canary.txt", Optional.empty())))
        .isInstanceOf(PathRefusedException.class);
    assertThat(sandbox.files()).isEmpty();
  }

  // ---------------------------------------------------------------- commands

  /** The shared list from the testkit; every sandbox implementation must refuse all of them. */
  static Stream<Arguments> bypasses() {
    return HostileCommands.bypasses(base).stream().map(b -> Arguments.of(b.name(), b.argv()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bypasses")
  void bypassIsRefusedBeforeAnythingRuns(String name, List<String> argv) {
    List<String> streamed = new ArrayList<>();
    CommandListener listener = new CommandListener() {
      @Override
      public void onStdout(String chunk) {
        streamed.add(chunk);
      }
    };
    assertThatThrownBy(() -> sandbox.run(new CommandRequest(argv, "", Map.of(), Optional.empty()), listener, new Cancellation()))
        .isInstanceOf(CommandDeniedException.class)
        .hasMessageStartingWith("command refused")
        .satisfies(e -> assertThat(((CommandDeniedException) e).code()).isEqualTo(ErrorCode.COMMAND_DENIED));
    assertThat(streamed).isEmpty();
  }

  @Test
  void workingDirectoryMustBeARealDirectoryInsideTheRoot() throws IOException {
    Files.createSymbolicLink(root.resolve("out"), outside);
    for (String cwd : List.of("..", "../outside", "/tmp", "out", "%2e%2e")) {
      assertThatThrownBy(() -> sandbox.run(new CommandRequest(List.of("node", "-e", "1"), cwd, Map.of(), Optional.empty()),
          CommandListener.NONE, new Cancellation())).as(cwd).isInstanceOf(PathRefusedException.class);
    }
    assertThatThrownBy(() -> sandbox.run(new CommandRequest(List.of("node", "-e", "1"), "missing", Map.of(), Optional.empty()),
        CommandListener.NONE, new Cancellation())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void aRealProcessStreamsEveryLineOnceAcrossACutConnection() {
    proxy.cutResponseAt("line 40");
    List<String> out = new CopyOnWriteArrayList<>();
    CommandResult result = sandbox.run(CommandRequest.of("node", "-e",
        "Array.from({length: 80}).forEach(function (x, i) { console.log('line ' + (i + 1)) })"), new CommandListener() {
          @Override
          public void onStdout(String chunk) {
            out.add(chunk);
          }
        }, new Cancellation());
    assertThat(result.exitCode()).as(result.stderr()).isZero();
    StringBuilder expected = new StringBuilder();
    for (int i = 1; i <= 80; i++) {
      expected.append("line ").append(i).append('\n');
    }
    // Chunking is the process's business; the concatenation must be exact: no loss, no repeat.
    assertThat(String.join("", out)).isEqualTo(expected.toString());
    assertThat(result.stdout()).isEqualTo(expected.toString());
    assertThat(proxy.cuts.get()).as("the stream was cut once").isEqualTo(1);
  }

  @Test
  void cancellingARealProcessKillsItOnTheHost() throws Exception {
    Cancellation cancellation = new Cancellation();
    List<String> out = new CopyOnWriteArrayList<>();
    java.util.concurrent.CompletableFuture<CommandResult> running = java.util.concurrent.CompletableFuture.supplyAsync(() ->
        sandbox.run(CommandRequest.of("node", "-e", "console.log('started'), setInterval(function () {}, 1000)"), new CommandListener() {
          @Override
          public void onStdout(String chunk) {
            out.add(chunk);
            if (chunk.contains("started")) {
              cancellation.cancel();
            }
          }
        }, cancellation));
    CommandResult result = running.get(60, TimeUnit.SECONDS);
    assertThat(result.cancelled()).isTrue();
    assertThat(result.succeeded()).isFalse();
  }
}
