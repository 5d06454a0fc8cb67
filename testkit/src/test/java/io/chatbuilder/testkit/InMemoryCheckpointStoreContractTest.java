package io.chatbuilder.testkit;

import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;

class InMemoryCheckpointStoreContractTest extends CheckpointStoreContract {
  @Override
  protected CheckpointStore createStore() {
    return new InMemoryCheckpointStore();
  }
}
