package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What bubblewrap adds: a command that runs arbitrary JavaScript (which no allowlist can stop) still
 * cannot read or write the host outside the root, and has no network unless the policy allows it.
 */
class IsolationTest {
  @TempDir Path base;

  private LocalSandbox isolated(CommandPolicy policy) throws IOException {
    LocalSandbox sandbox = LocalSandbox.builder(Files.createDirectories(base.resolve("app"))).isolation(Isolation.AUTO)
        .policy(policy).build();
    BwrapSupport.requireIsolated(sandbox);
    return sandbox;
  }

  /** Runs {@code code} from a script file (arbitrary JavaScript: what no allowlist can stop). */
  private static CommandResult node(LocalSandbox sandbox, String code) {
    sandbox.write("script.js", code.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return sandbox.run(new CommandRequest(List.of("node", "script.js"), "", Map.of(), Optional.empty()),
        CommandListener.NONE, new Cancellation());
  }

  @Test
  void javascriptCannotReadOrWriteOutsideTheRoot() throws IOException {
    Path outside = Files.createDirectories(base.resolve("outside"));
    Files.writeString(outside.resolve("secret.txt"), "HOST-SECRET");
    Path home = Path.of(System.getProperty("user.home"));
    try (LocalSandbox sandbox = isolated(CommandPolicy.defaults())) {
      String secret = outside.resolve("secret.txt").toString();
      CommandResult read = node(sandbox, "const p='" + secret + "';"
          + "try { console.log(require('fs').readFileSync(p,'utf8')) } catch (e) { console.log('blocked ' + e.code) }");
      assertThat(read.stdout()).startsWith("blocked").doesNotContain("HOST-SECRET");

      String target = outside.resolve("written.txt").toString();
      CommandResult write = node(sandbox, "const p='" + target + "';"
          + "try { require('fs').writeFileSync(p,'x'); console.log('wrote') } catch (e) { console.log('blocked ' + e.code) }");
      assertThat(write.stdout()).startsWith("blocked");
      assertThat(outside.resolve("written.txt")).doesNotExist();

      CommandResult listing = node(sandbox, "const p='" + home + "';"
          + "try { console.log(JSON.stringify(require('fs').readdirSync(p))) } catch (e) { console.log('blocked ' + e.code) }");
      Path nodePrefix = Path.of(nodeExecutable()).toRealPath();
      if (nodePrefix.startsWith(home)) {
        // node itself lives under home (nvm): only the path to its install prefix may show.
        assertThat(listing.stdout().trim()).isEqualTo("[\"" + home.relativize(nodePrefix).getName(0) + "\"]");
      } else {
        assertThat(listing.stdout()).as("the host's home directory is not visible").startsWith("blocked");
      }

      CommandResult inside = node(sandbox, "require('fs').writeFileSync('ok.txt','inside'); console.log(process.env.HOME)");
      assertThat(inside.exitCode()).as(inside.stderr()).isZero();
      assertThat(sandbox.read("ok.txt").text()).contains("inside");
      assertThat(inside.stdout().trim()).isNotEqualTo(home.toString());
    }
  }

  private static String nodeExecutable() {
    for (String dir : System.getenv("PATH").split(":")) {
      if (java.nio.file.Files.isExecutable(Path.of(dir, "node"))) {
        return Path.of(dir, "node").toString();
      }
    }
    throw new AssertionError("node not on PATH");
  }

  @Test
  void networkFollowsThePolicy() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout(200);
      String connect = "const s=require('net').connect(" + server.getLocalPort() + ",'127.0.0.1');"
          + "s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',e=>console.log('blocked '+e.code))";
      try (LocalSandbox offline = isolated(CommandPolicy.builder().allowNetwork(false).build())) {
        CommandResult result = node(offline, connect);
        assertThat(result.stdout()).startsWith("blocked");
        assertThatThrownBy(server::accept).isInstanceOf(SocketTimeoutException.class);
      }
      try (LocalSandbox online = isolated(CommandPolicy.defaults())) {
        CommandResult result = node(online, connect);
        assertThat(result.stdout()).as(result.stderr()).startsWith("connected");
        server.accept().close();
      }
    }
  }

  @Test
  void withoutBwrapAutoRunsUnisolatedAndRequiredIsolationFailsClearly() throws IOException {
    Path noBwrap = Files.createDirectories(base.resolve("empty-bin"));
    try (LocalSandbox auto = LocalSandbox.builder(base.resolve("auto")).bwrapSearchPath(noBwrap.toString()).build()) {
      assertThat(auto.isolated()).isFalse();
      CommandResult result = node(auto, "console.log('still works')");
      assertThat(result.stdout()).isEqualTo("still works\n");
      assertThat(result.isolated()).isFalse();
    }
    assertThatThrownBy(() -> LocalSandbox.builder(base.resolve("strict")).bwrapSearchPath(noBwrap.toString())
        .isolation(Isolation.BWRAP).build())
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("bubblewrap isolation was required")
        .hasMessageContaining("not installed");
  }

  @Test
  void bwrapThatCannotCreateNamespacesIsDetectedByTheProbe() throws IOException {
    // What bwrap prints in containers without user namespaces.
    Path fakeBin = Files.createDirectories(base.resolve("fake-bin"));
    Path fake = fakeBin.resolve("bwrap");
    Files.writeString(fake, "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n");
    assertThat(fake.toFile().setExecutable(true)).isTrue();
    try (LocalSandbox auto = LocalSandbox.builder(base.resolve("auto")).bwrapSearchPath(fakeBin.toString()).build()) {
      assertThat(auto.isolated()).isFalse();
      assertThat(node(auto, "console.log('fallback')").stdout()).isEqualTo("fallback\n");
    }
    assertThatThrownBy(() -> LocalSandbox.builder(base.resolve("strict")).bwrapSearchPath(fakeBin.toString())
        .isolation(Isolation.BWRAP).build())
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("No permissions to creating new namespace");
  }

  @Test
  void unisolatedRunnerSaysSo() throws IOException {
    try (LocalSandbox sandbox = LocalSandbox.builder(base.resolve("plain")).isolation(Isolation.NONE).build()) {
      assertThat(sandbox.isolated()).isFalse();
      assertThat(node(sandbox, "console.log(1)").isolated()).isFalse();
    }
  }
}
