package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.testkit.LeaseStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class H2MemoryLeaseStoreContractTest extends LeaseStoreContract {
  private static SimpleDataSource dataSource;
  private static String prefix;

  @BeforeAll
  static void createSchema() {
    dataSource = TestDatabases.h2Memory();
    prefix = TestDatabases.uniquePrefix();
    TestDatabases.stores(dataSource, prefix);
  }

  @AfterAll
  static void dropSchema() throws Exception {
    if (dataSource != null) {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  @Override
  protected LeaseStore createLeaseStore() {
    return JdbcStores.builder(dataSource).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build().leaseStore();
  }

  @Override
  protected LeaseStore reopen(LeaseStore leases) {
    return createLeaseStore();
  }
}
