package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.testkit.SandboxContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox contract with the reference {@link SearchEngine#SEQUENTIAL} search ({@link
 * LocalSandboxContractTest} runs the default parallel byte search), so every contract search case
 * passes on both engines; {@link SearchEnginesAgreeTest} checks they give identical results.
 */
class LocalSandboxSequentialSearchContractTest extends SandboxContract {
  private static final long MAX = 64 * 1024;

  @TempDir Path dir;

  @Override
  protected Sandbox createSandbox() {
    return LocalSandbox.builder(dir.resolve("app")).maxFileBytes(MAX).searchEngine(SearchEngine.SEQUENTIAL)
        .unisolated().build();
  }

  @Override
  protected long maxFileBytes() {
    return MAX;
  }
}
