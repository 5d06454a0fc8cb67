package io.chatbuilder.sandbox.local;

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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import io.chatbuilder.testkit.HostileCommands;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Classic ways around a command allowlist. Each would create {@code PWNED} outside the root if it
 * ran; each must be refused with {@link CommandDeniedException} before any process starts.
 */
class AdversarialCommandsTest {
  @TempDir static Path base;
  Path root;
  static Path marker;
  LocalSandbox sandbox;

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectories(base.resolve("app"));
    marker = base.resolve("PWNED");
    sandbox = LocalSandbox.builder(root).unisolated()
        .policy(CommandPolicy.builder().allow("find", "git", "bash").build()).build();
  }

  @AfterEach
  void nothingRan() {
    sandbox.close();
    assertThat(marker).as("no refused command ran").doesNotExist();
  }

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
    Files.createDirectories(base.resolve("outside"));
    Files.createSymbolicLink(root.resolve("out"), base.resolve("outside"));
    for (String cwd : List.of("..", "../outside", "/tmp", "out", "%2e%2e")) {
      assertThatThrownBy(() -> sandbox.run(new CommandRequest(List.of("node", "-e", "1"), cwd, Map.of(), Optional.empty()),
          CommandListener.NONE, new Cancellation())).as(cwd).isInstanceOf(PathRefusedException.class);
    }
    assertThatThrownBy(() -> sandbox.run(new CommandRequest(List.of("node", "-e", "1"), "missing", Map.of(), Optional.empty()),
        CommandListener.NONE, new Cancellation())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void hostSecretsNeverReachACommand() {
    LocalSandbox scrubbed = LocalSandbox.builder(root).unisolated()
        .baseEnvironment(Map.of(
            "PATH", System.getenv("PATH"),
            "AWS_SECRET_ACCESS_KEY", "host-secret-1",
            "GITHUB_TOKEN", "host-secret-2",
            "HOME", "/home/host-user",
            "SSH_AUTH_SOCK", "/run/host-secret-3",
            "LANG", "C.UTF-8"))
        .build();
    try {
      CommandRequest request = new CommandRequest(List.of("node", "-e", "console.log(JSON.stringify(process.env))"), "",
          Map.of("LD_PRELOAD", "/evil.so", "npm_config_script_shell", "sh", "VITE_API_URL", "http://localhost:1"), Optional.empty());
      CommandResult result = scrubbed.run(request, CommandListener.NONE, new Cancellation());
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(result.stdout())
          .doesNotContain("host-secret", "/home/host-user", "AWS_", "GITHUB", "SSH_AUTH_SOCK", "LD_PRELOAD", "script_shell")
          .contains("\"VITE_API_URL\":\"http://localhost:1\"", "\"LANG\":\"C.UTF-8\"", "\"CI\":\"1\"");
    } finally {
      scrubbed.close();
    }
  }

  @Test
  void programsAreNeverTakenFromTheRootOrRelativePathEntries() throws IOException {
    // An executable named "node" inside the root, with the root and "." on the host's PATH.
    Path fake = root.resolve("node");
    Files.writeString(fake, "#!/bin/sh\ntouch " + marker + "\n");
    fake.toFile().setExecutable(true);
    LocalSandbox sneaky = LocalSandbox.builder(root).unisolated()
        .baseEnvironment(Map.of("PATH", root + ":.:" + System.getenv("PATH"))).build();
    try {
      CommandResult result = sneaky.run(new CommandRequest(List.of("node", "-e", "console.log(process.execPath)"), "",
          Map.of(), Optional.empty()), CommandListener.NONE, new Cancellation());
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(Path.of(result.stdout().trim()).startsWith(root)).as(result.stdout()).isFalse();
    } finally {
      sneaky.close();
    }
  }

  @Test
  void nodeModulesBinLinkLeadingOutsideIsRefused() throws IOException {
    Files.createDirectories(root.resolve("node_modules/.bin"));
    Files.createSymbolicLink(root.resolve("node_modules/.bin/vite"), Path.of("/usr/bin/env"));
    assertThatThrownBy(() -> sandbox.run(new CommandRequest(List.of("node_modules/.bin/vite", "build"), "", Map.of(),
        Optional.empty()), CommandListener.NONE, new Cancellation()))
        .isInstanceOf(io.chatbuilder.core.SandboxException.class).hasMessageContaining("inside the app");
  }
}
