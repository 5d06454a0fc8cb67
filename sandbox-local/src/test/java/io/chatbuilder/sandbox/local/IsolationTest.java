package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.core.sandbox.ServiceRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What bubblewrap adds: a command that runs arbitrary JavaScript (which no allowlist can stop) still
 * cannot read or write the host outside the root, and has no network unless the policy allows it;
 * and without a working bubblewrap nothing runs unless the host opted into running unisolated.
 */
class IsolationTest {
  @TempDir Path base;

  private LocalSandbox isolated(CommandPolicy policy) throws IOException {
    LocalSandbox sandbox = LocalSandbox.builder(Files.createDirectories(base.resolve("app"))).policy(policy).build();
    BwrapSupport.requireIsolated(sandbox);
    return sandbox;
  }

  /** Runs {@code code} from a script file (arbitrary JavaScript: what no allowlist can stop). */
  static CommandResult node(LocalSandbox sandbox, String code) {
    sandbox.write("script.js", code.getBytes(StandardCharsets.UTF_8));
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
      assertThat(inside.isolated()).isTrue();
      assertThat(sandbox.read("ok.txt").text()).contains("inside");
      assertThat(inside.stdout().trim()).isNotEqualTo(home.toString());
    }
  }

  private static String nodeExecutable() {
    for (String dir : System.getenv("PATH").split(":")) {
      if (Files.isExecutable(Path.of(dir, "node"))) {
        return Path.of(dir, "node").toString();
      }
    }
    throw new AssertionError("node not on PATH");
  }

  @Test
  void hostNetworkOnlyByExplicitOptIn() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout(200);
      String connect = "const s=require('net').connect(" + server.getLocalPort() + ",'127.0.0.1');"
          + "s.on('connect',()=>{console.log('connected');s.destroy()});s.on('error',e=>console.log('blocked '+e.code))";
      try (LocalSandbox offline = isolated(CommandPolicy.defaults())) {
        CommandResult result = node(offline, connect);
        assertThat(result.stdout()).as(result.stderr()).startsWith("blocked");
        assertThatThrownBy(server::accept).isInstanceOf(SocketTimeoutException.class);
      }
      try (LocalSandbox online = isolated(CommandPolicy.builder().allowNetwork(true).build())) {
        CommandResult result = node(online, connect);
        assertThat(result.stdout()).as(result.stderr()).startsWith("connected");
        server.accept().close();
      }
    }
  }

  @Test
  void withoutBwrapFilesWorkButCommandsAndServicesFailNamingThePackage() throws IOException {
    Path noBwrap = Files.createDirectories(base.resolve("empty-bin"));
    try (LocalSandbox strict = LocalSandbox.builder(base.resolve("strict")).bwrapSearchPath(noBwrap.toString()).build()) {
      assertThat(strict.isolated()).isTrue();
      strict.write("index.html", "<h1>still editable</h1>".getBytes(StandardCharsets.UTF_8));
      assertThat(strict.read("index.html").text()).hasValue("<h1>still editable</h1>");
      assertThat(strict.isolationProblem()).get().asString().contains("bubblewrap");
      assertThatThrownBy(() -> node(strict, "require('fs').writeFileSync('ran.txt','x')"))
          .isInstanceOf(SandboxException.class)
          .hasMessageContaining("refuses to run app code unisolated")
          .hasMessageContaining("Debian package 'bubblewrap'")
          .hasMessageContaining("unisolated()");
      assertThatThrownBy(() -> strict.startService(new ServiceRequest("dev", List.of("node", "server.js"), "", Map.of(), 5173),
          CommandListener.NONE))
          .isInstanceOf(SandboxException.class)
          .hasMessageContaining("Debian package 'bubblewrap'");
      assertThat(base.resolve("strict/ran.txt")).doesNotExist();
    }
  }

  @Test
  void bwrapThatCannotCreateNamespacesIsRefusedAndProbedOncePerProvider() throws IOException {
    // What bwrap prints in containers without user namespaces; the script counts its runs.
    Path fakeBin = Files.createDirectories(base.resolve("fake-bin"));
    Path count = base.resolve("probe-count");
    Path fake = fakeBin.resolve("bwrap");
    Files.writeString(fake, "#!/bin/sh\necho run >> '" + count + "'\n"
        + "echo 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n");
    assertThat(fake.toFile().setExecutable(true)).isTrue();
    try (LocalSandboxProvider provider = LocalSandboxProvider.create(base.resolve("apps"),
        b -> b.bwrapSearchPath(fakeBin.toString()))) {
      for (String app : List.of("one", "two", "three")) {
        LocalSandbox sandbox = provider.open(app);
        for (int i = 0; i < 2; i++) {
          assertThatThrownBy(() -> node(sandbox, "require('fs').writeFileSync('ran.txt','x')"))
              .isInstanceOf(SandboxException.class)
              .hasMessageContaining("No permissions to creating new namespace");
        }
        assertThat(sandbox.root().resolve("ran.txt")).doesNotExist();
      }
    }
    assertThat(Files.readAllLines(count)).as("one probe for the provider's six commands").hasSize(1);
  }

  @Test
  void unisolatedIsAnExplicitChoiceAndSaysSo() throws IOException {
    Path noBwrap = Files.createDirectories(base.resolve("empty-bin"));
    try (LocalSandbox sandbox = LocalSandbox.builder(base.resolve("plain")).bwrapSearchPath(noBwrap.toString())
        .unisolated().build()) {
      assertThat(sandbox.isolated()).isFalse();
      assertThat(sandbox.isolationProblem()).isEmpty();
      CommandResult result = node(sandbox, "console.log('runs on the host')");
      assertThat(result.stdout()).isEqualTo("runs on the host\n");
      assertThat(result.isolated()).isFalse();
    }
  }
}
