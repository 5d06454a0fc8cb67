package io.chatbuilder.sandbox.remote;

import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.testkit.SandboxContract;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox contract against a real LocalSandbox on a temp directory, through server and client. */
class LocalSandboxRemoteContractTest extends SandboxContract {
  private static final long MAX = 64 * 1024;
  private static final AtomicInteger ids = new AtomicInteger();
  private static SandboxRegistry registry;
  private static SandboxServer server;

  @TempDir Path dir;

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
  protected Sandbox createSandbox() {
    String id = "local-" + ids.incrementAndGet();
    String token = SandboxRegistry.newToken();
    registry.register(LocalSandbox.builder(dir.resolve("app")).id(id).maxFileBytes(MAX).unisolated().build(), token);
    return RemoteSandbox.builder(server.url(), id, token).build();
  }

  @Override
  protected long maxFileBytes() {
    return MAX;
  }
}
