package io.chatbuilder.testkit;

import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.core.checkpoint.LeaseStore;

/** The in-memory checkpoint store's own leases, including the fencing of its appends. */
class InMemoryCheckpointStoreLeaseContractTest extends LeaseStoreContract {
  @Override
  protected LeaseStore createLeaseStore() {
    return new InMemoryCheckpointStore();
  }
}
