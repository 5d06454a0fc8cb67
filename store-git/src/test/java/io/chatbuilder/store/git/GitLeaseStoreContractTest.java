package io.chatbuilder.store.git;

import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.testkit.LeaseStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The Git store's leases hold within one process (its single-writer rule); the contract runs there. */
class GitLeaseStoreContractTest extends LeaseStoreContract {
  @TempDir Path dir;

  @BeforeAll
  static void probe() {
    TestSupport.probeFileSystemOnce();
  }

  @Override
  protected LeaseStore createLeaseStore() {
    return GitCheckpointStore.builder(dir.resolve("store.git")).build();
  }
}
