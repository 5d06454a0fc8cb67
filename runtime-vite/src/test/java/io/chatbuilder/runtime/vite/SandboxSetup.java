package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.fail;

import io.chatbuilder.core.ChatBuilderException;
import io.chatbuilder.sandbox.local.Isolation;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** How these tests set up {@code sandbox-local}: bubblewrap required, one npm cache shared by all. */
final class SandboxSetup {
  private SandboxSetup() {}

  static LocalSandbox.Builder configure(LocalSandbox.Builder b, Path npmCache) {
    return configure(b, npmCache, Map.of());
  }

  /** {@code hostEnvironment} is added to this JVM's environment as what the host's processes would see. */
  static LocalSandbox.Builder configure(LocalSandbox.Builder b, Path npmCache, Map<String, String> hostEnvironment) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.putAll(hostEnvironment);
    env.put("npm_config_cache", npmCache.toString());
    return b.isolation(Isolation.BWRAP).baseEnvironment(env);
  }

  /**
   * Passes where bubblewrap works. Otherwise the test is skipped with the reason, except under
   * {@code CI=true}, where its absence fails.
   */
  static void requireBubblewrap(Path scratch) {
    try {
      Path dir = Files.createDirectories(scratch.resolve("bwrap-probe"));
      LocalSandbox.builder(dir).isolation(Isolation.BWRAP).build().close();
    } catch (ChatBuilderException | IOException e) {
      String reason = "bubblewrap does not work here (Debian package 'bubblewrap'): " + e.getMessage()
          + "; the sandboxed runtime tests need it";
      if ("true".equals(System.getenv("CI"))) {
        fail("CI=true but " + reason);
      }
      Assumptions.abort(reason);
    }
  }
}
