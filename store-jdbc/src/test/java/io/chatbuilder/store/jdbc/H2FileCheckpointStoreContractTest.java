package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.testkit.CheckpointStoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class H2FileCheckpointStoreContractTest extends CheckpointStoreContract {
  private static Path directory;
  private static SimpleDataSource dataSource;

  @BeforeAll
  static void createSchema() throws Exception {
    directory = Files.createTempDirectory("cb-h2-contract");
    dataSource = TestDatabases.h2File(directory.resolve("store"));
    TestDatabases.stores(dataSource, "cb_");
  }

  @AfterAll
  static void deleteFiles() throws Exception {
    try (var connection = dataSource.getConnection(); var s = connection.createStatement()) {
      s.execute("SHUTDOWN");
    }
    try (var files = Files.walk(directory)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Override
  protected CheckpointStore createStore() {
    // A fresh JdbcStores per test over the same file: nothing is cached between instances.
    return JdbcStores.builder(dataSource).build().checkpointStore();
  }
}
