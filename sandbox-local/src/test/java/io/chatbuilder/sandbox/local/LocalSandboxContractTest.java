package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.testkit.SandboxContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class LocalSandboxContractTest extends SandboxContract {
  private static final long MAX = 64 * 1024;

  @TempDir Path dir;

  @Override
  protected Sandbox createSandbox() {
    return LocalSandbox.builder(dir.resolve("app")).maxFileBytes(MAX).unisolated().build();
  }

  @Override
  protected long maxFileBytes() {
    return MAX;
  }
}
