package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.testkit.SandboxContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The sandbox contract with {@link ChangeDetection#STAT_EVERY_SCAN} ({@link LocalSandboxContractTest} runs the default watcher). */
class LocalSandboxStatScanContractTest extends SandboxContract {
  private static final long MAX = 64 * 1024;

  @TempDir Path dir;

  @Override
  protected Sandbox createSandbox() {
    return LocalSandbox.builder(dir.resolve("app")).maxFileBytes(MAX).changeDetection(ChangeDetection.STAT_EVERY_SCAN)
        .unisolated().build();
  }

  @Override
  protected long maxFileBytes() {
    return MAX;
  }
}
