package io.chatbuilder.store.git;

import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.testkit.CheckpointStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

class GitCheckpointStoreContractTest extends CheckpointStoreContract {
  @TempDir Path dir;

  @BeforeAll
  static void probe() {
    TestSupport.probeFileSystemOnce();
  }

  @Override
  protected CheckpointStore createStore() {
    // Small packing interval so the contract also runs across background packing.
    return GitCheckpointStore.builder(dir.resolve("store.git")).packEvery(16).build();
  }
}
