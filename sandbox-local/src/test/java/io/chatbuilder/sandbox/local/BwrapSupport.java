package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/** Decides what happens to isolated-path tests where bubblewrap does not work. */
final class BwrapSupport {
  private BwrapSupport() {}

  /**
   * Passes if {@code sandbox} runs commands inside bubblewrap. Otherwise the test is skipped with
   * the reason, except under {@code CI=true}, where CI installs bubblewrap and its absence fails.
   */
  static void requireIsolated(LocalSandbox sandbox) {
    if (sandbox.isolated()) {
      System.out.println("[sandbox-local] isolated path: commands run inside bubblewrap");
      return;
    }
    String reason = "bubblewrap (bwrap) is not installed or cannot create namespaces here; isolated path NOT tested";
    if ("true".equals(System.getenv("CI"))) {
      sandbox.close();
      fail("CI=true but " + reason);
    }
    System.out.println("[sandbox-local] " + reason);
    sandbox.close();
    Assumptions.abort(reason);
  }
}
