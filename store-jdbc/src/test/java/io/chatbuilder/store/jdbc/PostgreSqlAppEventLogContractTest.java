package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.testkit.AppEventLogContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The app event log contract on PostgreSql; the second log is a separate {@link JdbcStores}, as on another host. */
class PostgreSqlAppEventLogContractTest extends AppEventLogContract {
  private static SimpleDataSource dataSource;
  private static String prefix;

  @BeforeAll
  static void createSchema() {
    dataSource = TestDatabases.postgres();
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
  protected AppEventLog createLog() {
    return JdbcStores.builder(dataSource).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build().appEventLog();
  }

  @Override
  protected AppEventLog second(AppEventLog log) {
    return createLog();
  }
}
