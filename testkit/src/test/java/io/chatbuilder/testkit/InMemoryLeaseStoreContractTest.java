package io.chatbuilder.testkit;

import io.chatbuilder.core.checkpoint.InMemoryLeaseStore;
import io.chatbuilder.core.checkpoint.LeaseStore;

class InMemoryLeaseStoreContractTest extends LeaseStoreContract {
  @Override
  protected LeaseStore createLeaseStore() {
    return new InMemoryLeaseStore();
  }
}
