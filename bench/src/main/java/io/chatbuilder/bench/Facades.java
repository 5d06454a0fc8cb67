package io.chatbuilder.bench;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.sandbox.local.ChangeDetection;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.nio.file.Path;

/** "Our" side of a benchmark: the {@link ChatBuilder} facade on a {@link LocalSandbox} and a store. */
final class Facades {
  private Facades() {}

  /**
   * A facade whose every app is the local directory {@code tree}. Commands are not run by the
   * benchmarks, so no bubblewrap probe is made.
   */
  static ChatBuilder open(ScriptedAgent agent, CheckpointStore store, Path tree, ChangeDetection detection, int maxSteps) {
    return ChatBuilder.builder()
        .model(agent.model())
        // The benches run several stores over one tree; fencing tokens of different stores are not
        // comparable, so each store gets a state directory (and fence) of its own.
        .sandboxes(appId -> LocalSandbox.builder(tree).id(appId).changeDetection(detection).unisolated()
            .stateDirectory(tree.resolveSibling("." + tree.getFileName() + ".state-" + Integer.toHexString(System.identityHashCode(store))))
            .build())
        .checkpointStore(store)
        .maxSteps(maxSteps)
        .build();
  }

  /** Runs one chat message to its end; fails unless the run completed. */
  static RunResult chat(ChatBuilder builder, String appId, String message) {
    RunResult result = builder.chat(appId, message).completion().join();
    if (result.outcome() != RunOutcome.COMPLETED) {
      throw new IllegalStateException("run " + result.runId() + " ended " + result.outcome() + ": " + result.error().orElse(""));
    }
    return result;
  }
}
