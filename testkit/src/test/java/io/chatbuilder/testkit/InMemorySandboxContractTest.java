package io.chatbuilder.testkit;

import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;

class InMemorySandboxContractTest extends SandboxContract {
  private static final long MAX = 256 * 1024;

  @Override
  protected Sandbox createSandbox() {
    return InMemorySandbox.builder("contract").maxFileBytes(MAX).build();
  }

  @Override
  protected long maxFileBytes() {
    return MAX;
  }
}
