package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.fail;

import io.chatbuilder.core.Cancellation;
import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.core.sandbox.CommandListener;
import io.chatbuilder.core.sandbox.CommandRequest;
import io.chatbuilder.core.sandbox.CommandResult;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * How these tests set up {@code sandbox-local}: its defaults (bubblewrap required, no network but
 * the npm registry through the egress proxy), as a host gets them.
 */
final class SandboxSetup {
  private SandboxSetup() {}

  static LocalSandbox.Builder configure(LocalSandbox.Builder b) {
    return configure(b, Map.of());
  }

  /** {@code hostEnvironment} is added to this JVM's environment, as more of what the host's processes see. */
  static LocalSandbox.Builder configure(LocalSandbox.Builder b, Map<String, String> hostEnvironment) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putAll(hostEnvironment);
    return b.baseEnvironment(env);
  }

  /**
   * Passes where a command runs inside bubblewrap. Otherwise the test is skipped with the reason,
   * except under {@code CI=true}, where its absence fails.
   */
  static void requireBubblewrap(Path scratch) {
    String reason;
    // An id of this JVM's own: the two test JVMs probe at the same moment, and sandbox-local removes
    // "stale" empty cgroups of a sandbox id, which can be the other JVM's probe between its creation
    // and its process (seen: "cannot create the cgroup of a sandbox process", the class skipped).
    String id = "bwrap-probe-" + ProcessHandle.current().pid();
    try (LocalSandbox sandbox = configure(LocalSandbox.builder(Files.createDirectories(scratch.resolve("bwrap-probe"))).id(id)).build()) {
      CommandResult r = sandbox.run(CommandRequest.of("node", "-e", "0"), CommandListener.NONE, new Cancellation());
      if (r.succeeded() && r.isolated()) {
        return;
      }
      reason = "node did not run isolated (exit " + r.exitCode() + "): " + r.stderr();
    } catch (ChatBuilderException | IOException e) {
      reason = e.getMessage();
    }
    reason = "the sandboxed runtime tests need bubblewrap, socat and node: " + reason;
    if ("true".equals(System.getenv("CI"))) {
      fail("CI=true but " + reason);
    }
    System.out.println("[runtime-vite] " + reason);
    Assumptions.abort(reason);
  }
}
