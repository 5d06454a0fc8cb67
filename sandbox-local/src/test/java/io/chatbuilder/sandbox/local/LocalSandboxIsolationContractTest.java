package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.testkit.IsolationContract;
import java.nio.file.Path;

/** The isolation contract on a local sandbox with its default isolation (bubblewrap). */
class LocalSandboxIsolationContractTest extends IsolationContract {
  @Override
  protected Sandbox openIsolated(Path root, CommandPolicy policy) {
    LocalSandbox sandbox = LocalSandbox.builder(root).policy(policy).build();
    BwrapSupport.requireIsolated(sandbox);
    return sandbox;
  }
}
