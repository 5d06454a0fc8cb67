package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.CommandDeniedException;
import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.FileEntry;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.testkit.HostileCommands;
import io.chatbuilder.testkit.HostilePathsContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The testkit's {@link HostilePathsContract} and sandbox-local's command bypasses (the testkit's
 * {@link HostileCommands}), sent through the remote client and server to a LocalSandbox on a real
 * directory. Every test ends by checking that nothing outside the root changed and that no refused
 * command ran.
 */
class LocalSandboxAdversarialRemoteTest extends HostilePathsContract {
  @TempDir static Path base;
  Path marker;
  SandboxRegistry registry;
  SandboxServer server;
  FaultProxy proxy;

  @Override
  protected Sandbox openSandbox(Path root) throws IOException {
    marker = base.resolve("PWNED");
    registry = new SandboxRegistry();
    String token = SandboxRegistry.newToken();
    registry.register(LocalSandbox.builder(root).id("app").maxFileBytes(MAX_FILE_BYTES).unisolated()
        .policy(CommandPolicy.builder().allow("find", "git", "bash").build()).build(), token);
    server = SandboxServer.builder(registry).start();
    proxy = new FaultProxy(server.port());
    return RemoteSandbox.builder(proxy.url(), "app", token).build();
  }

  @Override
  protected void closeSandbox() throws Exception {
    sandbox.close();
    proxy.close();
    server.close();
    registry.remove("app").ifPresent(s -> s.close());
  }

  @AfterEach
  void nothingRan() {
    assertThat(marker).as("no refused command ran").doesNotExist();
  }

  /** The remote client's own operations (stat, snapshot) refuse what the contract's do. */
  @Test
  void statAndSnapshotRefuseEscapesToo() {
    RemoteSandbox remote = (RemoteSandbox) sandbox;
    for (String hostile : ESCAPES) {
      assertThatThrownBy(() -> remote.stat(hostile)).as(hostile).isInstanceOf(PathRefusedException.class);
      assertThatThrownBy(() -> remote.snapshot(List.of(hostile))).as(hostile).isInstanceOf(PathRefusedException.class);
    }
    remote.write("dir/file.txt", utf8("x"));
    assertThat(remote.stat("dir")).hasValueSatisfying(e -> assertThat(e.kind()).isEqualTo(FileEntry.Kind.DIRECTORY));
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
