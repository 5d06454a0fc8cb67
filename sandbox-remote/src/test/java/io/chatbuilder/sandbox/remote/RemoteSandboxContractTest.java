package io.chatbuilder.sandbox.remote;

import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.testkit.SandboxContract;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The whole sandbox contract, through the real client and a real server on 127.0.0.1. */
class RemoteSandboxContractTest extends SandboxContract {
  private static final long MAX_FILE_BYTES = 256 * 1024;
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
  protected Sandbox createSandbox() {
    String id = "app-" + ids.incrementAndGet();
    String token = SandboxRegistry.newToken();
    registry.register(InMemorySandbox.builder(id).maxFileBytes(MAX_FILE_BYTES).build(), token);
    return RemoteSandbox.builder(server.url(), id, token).build();
  }

  @Override
  protected long maxFileBytes() {
    return MAX_FILE_BYTES;
  }
}
