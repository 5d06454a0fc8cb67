package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.StoreException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MigrationsTest {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void concurrentNodesMigrateOnceThenValidate(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<JdbcStores>> nodes = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        nodes.add(pool.submit(() -> {
          start.await();
          return TestDatabases.stores(dataSource, prefix);
        }));
      }
      start.countDown();
      for (Future<JdbcStores> node : nodes) {
        assertThat(node.get(120, TimeUnit.SECONDS).dialect().name().toLowerCase()).isEqualTo(database);
      }
      assertThat(rows(dataSource, "SELECT COUNT(*) FROM " + prefix + "schema_migrations")).isEqualTo(Migrations.ALL.size());
      // A second CREATE changes nothing; VALIDATE passes.
      TestDatabases.stores(dataSource, prefix);
      JdbcStores.builder(dataSource).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build();
      assertThat(rows(dataSource, "SELECT COUNT(*) FROM " + prefix + "schema_migrations")).isEqualTo(Migrations.ALL.size());

      // A script edited after it was applied is caught.
      execute(dataSource, "UPDATE " + prefix + "schema_migrations SET checksum = 'tampered'");
      assertThatThrownBy(() -> JdbcStores.builder(dataSource).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build())
          .isInstanceOf(StoreException.class).hasMessageContaining("V1__create_tables.sql").hasMessageContaining("checksum");

      // A recorded migration whose table was dropped is caught.
      execute(dataSource, "DELETE FROM " + prefix + "schema_migrations");
      TestDatabases.stores(dataSource, prefix); // re-runnable scripts: recreates nothing, records V1 again
      execute(dataSource, "DROP TABLE " + prefix + "events");
      assertThatThrownBy(() -> JdbcStores.builder(dataSource).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build())
          .isInstanceOf(StoreException.class).hasMessageContaining(prefix + "events");
    } finally {
      pool.shutdownNow();
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  /** A database migrated by a version before leases gets the lease table on the next CREATE. */
  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void aDatabaseWithoutLeasesIsUpgraded(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      TestDatabases.stores(dataSource, prefix);
      // Back to a version-1 schema: no leases, no conversation turns.
      execute(dataSource, "DELETE FROM " + prefix + "schema_migrations WHERE version >= 2");
      execute(dataSource, "DROP TABLE " + prefix + "leases");
      execute(dataSource, "ALTER TABLE " + prefix + "messages DROP COLUMN turn_id");
      assertThatThrownBy(() -> JdbcStores.builder(dataSource).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build())
          .isInstanceOf(StoreException.class).hasMessageContaining("V2__create_leases.sql");
      JdbcStores upgraded = TestDatabases.stores(dataSource, prefix);
      io.chatbuilder.core.checkpoint.Lease lease = upgraded.leaseStore().acquire("app", "holder", java.time.Duration.ofSeconds(5));
      assertThat(lease.token()).isEqualTo(1);
      upgraded.leaseStore().recordIntent(lease, "undo");
      assertThat(upgraded.leaseStore().intent("app").orElseThrow().text()).isEqualTo("undo");
      upgraded.conversationStore().append("app", "run-1", List.of(new io.chatbuilder.core.model.ChatMessage.User("hi")));
      assertThat(upgraded.conversationStore().load("app")).hasSize(1);
      assertThat(rows(dataSource, "SELECT COUNT(*) FROM " + prefix + "schema_migrations")).isEqualTo(Migrations.ALL.size());
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  /**
   * A database migrated before forks and labels (V4) is upgraded by the next CREATE: its
   * checkpoints read back unchanged (no source app), and they can be forked and labelled.
   */
  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void aDatabaseWithoutForksAndLabelsIsUpgraded(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      io.chatbuilder.core.checkpoint.CheckpointStore old = TestDatabases.stores(dataSource, prefix).checkpointStore();
      io.chatbuilder.core.checkpoint.Checkpoint first = old.append(JdbcConcurrencyTest.draft("app", java.util.Optional.empty(),
          java.util.Optional.empty(), java.util.Map.of("a.txt", new byte[] {1}), "initial"));
      execute(dataSource, "DELETE FROM " + prefix + "schema_migrations WHERE version = 4");
      execute(dataSource, "DROP TABLE " + prefix + "checkpoint_labels");
      execute(dataSource, "ALTER TABLE " + prefix + "checkpoints DROP COLUMN source_app_id");
      assertThatThrownBy(() -> JdbcStores.builder(dataSource).tablePrefix(prefix).schemaMode(SchemaMode.VALIDATE).build())
          .isInstanceOf(StoreException.class).hasMessageContaining("V4__fork_and_labels.sql");
      io.chatbuilder.core.checkpoint.CheckpointStore upgraded = TestDatabases.stores(dataSource, prefix).checkpointStore();
      assertThat(upgraded.find("app", first.id())).contains(first);
      assertThat(upgraded.addLabel("app", first.id(), "v1")).containsExactly("v1");
      io.chatbuilder.core.checkpoint.Checkpoint fork = upgraded.fork(new io.chatbuilder.core.checkpoint.ForkDraft("fork",
          "app", first.id(), "fork", 0, io.chatbuilder.core.checkpoint.ChangeStats.EMPTY, first.createdAt()));
      assertThat(upgraded.head("fork")).contains(fork);
      assertThat(fork.sourceAppId()).contains("app");
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  @Test
  void validateOnAnEmptyDatabaseExplainsWhatToDo() {
    SimpleDataSource dataSource = TestDatabases.h2Memory();
    assertThatThrownBy(() -> JdbcStores.builder(dataSource).schemaMode(SchemaMode.VALIDATE).build())
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("not installed")
        .hasMessageContaining("SchemaMode.CREATE");
  }

  @Test
  void skipTouchesNothing() throws Exception {
    SimpleDataSource dataSource = TestDatabases.h2Memory();
    JdbcStores.builder(dataSource).schemaMode(SchemaMode.SKIP).build();
    assertThat(rows(dataSource, "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'PUBLIC'"))
        .isZero();
  }

  @Test
  void hostilePrefixesAreRefused() {
    SimpleDataSource dataSource = TestDatabases.h2Memory();
    for (String prefix : List.of("", "1abc", "cb_; DROP TABLE x; --", "a b", "a-b", "x".repeat(25), "ü_")) {
      assertThatThrownBy(() -> JdbcStores.builder(dataSource).tablePrefix(prefix))
          .as(prefix).isInstanceOf(InvalidArgumentException.class);
    }
  }

  @Test
  void rawDdlShipsInTheJarForEveryDialect() throws Exception {
    for (Dialect dialect : Dialect.values()) {
      String name = Migrations.ROOT + dialect.directory() + "/V1__create_tables.sql";
      try (InputStream in = getClass().getClassLoader().getResourceAsStream(name)) {
        assertThat(in).as(name).isNotNull();
        String sql = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(Migrations.statements(sql)).hasSizeGreaterThanOrEqualTo(10)
            .allSatisfy(s -> assertThat(s).doesNotEndWith(";"));
      }
    }
  }

  @Test
  void dialectIsDetectedFromMetadata() {
    assertThat(TestDatabases.stores(TestDatabases.h2Memory(), "cb_").dialect()).isEqualTo(Dialect.H2);
  }

  private static long rows(SimpleDataSource dataSource, String sql) throws Exception {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void execute(SimpleDataSource dataSource, String sql) throws Exception {
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
