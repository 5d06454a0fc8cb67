package io.chatbuilder.sandbox.local;

import static org.assertj.core.api.Assertions.fail;

import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Decides what happens to isolated-path tests where bubblewrap does not work. */
final class BwrapSupport {
  private BwrapSupport() {}

  /**
   * Passes if {@code sandbox} can run commands inside bubblewrap (and socat is there for its
   * bridges). Otherwise the test is skipped with the reason, except under {@code CI=true}, where CI
   * installs bubblewrap and socat and their absence fails.
   */
  static void requireIsolated(LocalSandbox sandbox) {
    Optional<String> problem = sandbox.isolated() ? sandbox.isolationProblem() : Optional.of("the sandbox is unisolated");
    if (problem.isEmpty() && Bubblewrap.systemProgram("socat").isEmpty()) {
      problem = Optional.of("socat is not installed (Debian package 'socat')");
    }
    if (problem.isEmpty()) {
      return;
    }
    String reason = problem.get() + "; isolated path NOT tested";
    sandbox.close();
    if ("true".equals(System.getenv("CI"))) {
      fail("CI=true but " + reason);
    }
    System.out.println("[sandbox-local] " + reason);
    Assumptions.abort(reason);
  }
}
