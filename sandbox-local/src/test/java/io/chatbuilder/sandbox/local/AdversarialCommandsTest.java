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
    sandbox = LocalSandbox.builder(root).isolation(Isolation.NONE)
        .policy(CommandPolicy.builder().allow("find", "git", "bash").build()).build();
  }

  @AfterEach
  void nothingRan() {
    sandbox.close();
    assertThat(marker).as("no refused command ran").doesNotExist();
  }

  static Stream<Arguments> bypasses() {
    String m = base == null ? "/tmp/PWNED" : base.resolve("PWNED").toString();
    String touch = "require('fs').writeFileSync('" + m + "','x')";
    return Stream.of(
        Arguments.of("and-list", List.of("npm", "run", "build", "&&", "node", "-e", touch)),
        Arguments.of("semicolon", List.of("node", "-e", "1;" + touch)),
        Arguments.of("pipe", List.of("node", "-e", "1", "|", "sh")),
        Arguments.of("newline", List.of("node", "-e", "1\n" + touch)),
        Arguments.of("command substitution", List.of("node", "$(touch " + m + ")")),
        Arguments.of("backticks", List.of("node", "`touch " + m + "`")),
        Arguments.of("redirect inside an argument", List.of("node", "-e", "1", ">" + m)),
        Arguments.of("input redirect", List.of("node", "<" + m)),
        Arguments.of("background", List.of("node", "-e", "1", "&")),
        Arguments.of("env sh -c", List.of("env", "sh", "-c", "touch " + m)),
        Arguments.of("/usr/bin/time rm", List.of("/usr/bin/time", "rm", "-rf", m)),
        Arguments.of("time rm", List.of("time", "rm", "-rf", m)),
        Arguments.of("find -exec", List.of("find", ".", "-exec", "touch", m, "+")),
        Arguments.of("find -execdir", List.of("find", ".", "-execdir", "touch", "PWNED", "+")),
        Arguments.of("find -delete", List.of("find", ".", "-delete")),
        Arguments.of("git -c alias", List.of("git", "-c", "alias.x=!touch PWNED", "x")),
        Arguments.of("git --config-env", List.of("git", "--config-env=alias.x=EVIL", "x")),
        Arguments.of("git -C elsewhere", List.of("git", "-C", "/", "status")),
        Arguments.of("absolute path to an allowed program", List.of("/usr/bin/node", "-e", touch)),
        Arguments.of("absolute path to a shell", List.of("/bin/sh", "-c", "touch " + m)),
        Arguments.of("relative path out of the root", List.of("../../../usr/bin/node", "-e", touch)),
        Arguments.of("shell via node_modules/.bin", List.of("node_modules/.bin/sh", "-c", "touch " + m)),
        Arguments.of("dot-slash program", List.of("./node", "-e", touch)),
        Arguments.of("allowlisted shell: deny wins", List.of("bash", "-c", "touch " + m)),
        Arguments.of("npm -c", List.of("npm", "exec", "-c", "touch " + m)),
        Arguments.of("npx --call", List.of("npx", "--call=touch PWNED")),
        Arguments.of("npx runs a denied program", List.of("npx", "rm", "-rf", "src")),
        Arguments.of("npm exec runs a denied program", List.of("npm", "exec", "--", "sh", "evil.sh")),
        Arguments.of("npm x runs a program by path", List.of("npm", "x", "bin/evil")),
        Arguments.of("npm explore runs a shell", List.of("npm", "explore", "react", "--", "ls")),
        Arguments.of("npm --script-shell", List.of("npm", "run", "build", "--script-shell=sh")),
        Arguments.of("npm config set script-shell", List.of("npm", "config", "set", "script-shell", "sh")),
        Arguments.of("npm install -g", List.of("npm", "install", "-g", "left-pad")),
        Arguments.of("npm --prefix outside", List.of("npm", "install", "--prefix=" + base, "left-pad")),
        Arguments.of("npm -C outside", List.of("npm", "-C", "out", "install")),
        Arguments.of("node script outside the root", List.of("node", m + ".js")),
        Arguments.of("node script via ..", List.of("node", "../PWNED.js")),
        Arguments.of("home directory", List.of("node", "~/.ssh/id_rsa")),
        Arguments.of("vite writes outside", List.of("vite", "build", "--outDir", base.toString())),
        Arguments.of("vite --outDir=..", List.of("vite", "build", "--outDir=../www")),
        Arguments.of("NUL byte", List.of("node", "-e", "1\u0000")),
        Arguments.of("sudo", List.of("sudo", "node")),
        Arguments.of("curl", List.of("curl", "-o", m, "http://example.com")),
        Arguments.of("python", List.of("python3", "-c", "open('" + m + "','w')")),
        Arguments.of("not allowed at all", List.of("touch", m)));
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
    LocalSandbox scrubbed = LocalSandbox.builder(root).isolation(Isolation.NONE)
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
    LocalSandbox sneaky = LocalSandbox.builder(root).isolation(Isolation.NONE)
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
