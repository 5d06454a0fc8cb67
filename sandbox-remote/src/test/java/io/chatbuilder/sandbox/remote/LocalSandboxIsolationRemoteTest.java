package io.chatbuilder.sandbox.remote;

import static org.assertj.core.api.Assertions.fail;

import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.ForwardingSandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.testkit.IsolationContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The isolation contract through sandbox-remote: a sandbox host serving a bubblewrap-isolated
 * {@link LocalSandbox}, driven by a {@link RemoteSandbox} client. App code the client runs is
 * contained on the sandbox host exactly as locally.
 */
class LocalSandboxIsolationRemoteTest extends IsolationContract {
  private static final AtomicInteger ids = new AtomicInteger();
  private static SandboxRegistry registry;
  private static SandboxServer server;

  @BeforeAll
  static void startServer() {
    registry = new SandboxRegistry();
    server = SandboxServer.builder(registry).start();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Override
  protected Sandbox openIsolated(Path root, CommandPolicy policy) {
    LocalSandbox local = LocalSandbox.builder(root).id("iso-" + ids.incrementAndGet()).policy(policy).build();
    Optional<String> problem = local.isolationProblem();
    if (problem.isEmpty() && !Files.isExecutable(Path.of("/usr/bin/socat"))) {
      problem = Optional.of("socat is not installed (Debian package 'socat')");
    }
    if (problem.isPresent()) {
      local.close();
      String reason = problem.get() + "; remote isolation NOT tested";
      if ("true".equals(System.getenv("CI"))) {
        fail("CI=true but " + reason);
      }
      Assumptions.abort(reason);
    }
    String token = SandboxRegistry.newToken();
    registry.register(local, token);
    return new ClosingBoth(RemoteSandbox.builder(server.url(), local.id(), token).build(), local);
  }

  /** Closes the client and the host's sandbox together. */
  private static final class ClosingBoth extends ForwardingSandbox {
    private final LocalSandbox local;

    ClosingBoth(RemoteSandbox remote, LocalSandbox local) {
      super(remote);
      this.local = local;
    }

    @Override
    public void close() {
      super.close();
      registry.remove(local.id()).ifPresent(Sandbox::close);
    }
  }
}
