package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.SandboxException;

/** An install, start or build step failed; becomes a FAILED draft status or a failed publish. */
final class StepFailure extends SandboxException {
  private static final long serialVersionUID = 1L;

  StepFailure(String message) {
    super(message);
  }
}
