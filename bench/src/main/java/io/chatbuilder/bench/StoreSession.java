package io.chatbuilder.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.store.git.GitCheckpointStore;
import io.chatbuilder.store.jdbc.JdbcStores;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One opened checkpoint store of a scenario, with a way to measure what it occupies and to clean up
 * everything it created (PostgreSQL tables under a unique prefix, directories).
 */
final class StoreSession implements AutoCloseable {
  static final String POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test?connectTimeout=3";
  static final String MARIADB_URL = "jdbc:mariadb://127.0.0.1:3306/test?connectTimeout=3000";

  private final StoreKind kind;
  private final Path dir;
  private final String prefix;
  private HikariDataSource dataSource;
  private CheckpointStore store;

  private StoreSession(StoreKind kind, Path dir) {
    this.kind = kind;
    this.dir = dir;
    this.prefix = "bench" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";
  }

  /** Opens a fresh, empty store of {@code kind}; files go under {@code dir}. */
  static StoreSession open(StoreKind kind, Path dir) {
    StoreSession s = new StoreSession(kind, dir);
    s.connect();
    return s;
  }

  private void connect() {
    try {
      Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    store = switch (kind) {
      case MEMORY -> new InMemoryCheckpointStore();
      case H2 -> {
        dataSource = pool("jdbc:h2:file:" + dir.resolve("checkpoints").toAbsolutePath(), "sa", "");
        yield JdbcStores.builder(dataSource).tablePrefix(prefix).build().checkpointStore();
      }
      case POSTGRESQL -> {
        dataSource = pool(POSTGRES_URL, "postgres", "");
        yield JdbcStores.builder(dataSource).tablePrefix(prefix).build().checkpointStore();
      }
      case MARIADB -> {
        dataSource = pool(MARIADB_URL, "root", "");
        yield JdbcStores.builder(dataSource).tablePrefix(prefix).build().checkpointStore();
      }
      case GIT -> GitCheckpointStore.open(dir.resolve("checkpoints.git"));
    };
  }

  /**
   * The pool a production host would hand the JDBC store (HikariCP, as Spring Boot does): it asks
   * for a connection per call. No idle minimum, so an H2 file is closed once its connections are.
   */
  private static HikariDataSource pool(String url, String user, String password) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url);
    config.setUsername(user);
    config.setPassword(password);
    config.setMinimumIdle(0);
    config.setMaximumPoolSize(8);
    config.setConnectionTimeout(10_000);
    config.setPoolName("bench");
    return new HikariDataSource(config);
  }

  StoreKind kind() {
    return kind;
  }

  CheckpointStore store() {
    return store;
  }

  /**
   * What the store occupies: bytes of its files (H2 with the database closed, so the file is at
   * rest; Git repository), table + index + TOAST bytes of its PostgreSQL tables, or for the
   * in-memory store the JVM's used heap after a full GC (approximate).
   */
  long storageBytes() {
    return switch (kind) {
      case MEMORY -> usedHeapAfterGc();
      case H2 -> {
        // At rest and compacted: a plain close compacts for at most H2's MAX_COMPACT_TIME (200 ms),
        // so the file size then depends on timing (a run measured less after 100 checkpoints than
        // before them). SHUTDOWN COMPACT rewrites the file fully; the store reopens the database on
        // its next call.
        try {
          Connection c = dataSource.getConnection();
          try (Statement st = c.createStatement()) {
            st.execute("shutdown compact");
          } finally {
            try {
              c.close();
            } catch (SQLException closedByTheShutdown) {
              // the pool's reset of the connection fails on the closed database: expected
            }
          }
        } catch (SQLException e) {
          throw new IllegalStateException("cannot compact the H2 database: " + e.getMessage(), e);
        }
        // Closes the pool's (now dead) connections without closing the pool; with no minimum idle
        // nothing reopens the file until the store's next call.
        dataSource.getHikariPoolMXBean().softEvictConnections();
        yield Workspace.sizeOf(dir);
      }
      case POSTGRESQL -> postgresBytes();
      case MARIADB -> mariadbBytes();
      case GIT -> Workspace.sizeOf(dir.resolve("checkpoints.git"));
    };
  }

  /** How {@link #storageBytes()} measures, for the report. */
  String storageMeasure() {
    return switch (kind) {
      case MEMORY -> "used heap after GC (approximate)";
      case H2 -> "H2 database file at rest after SHUTDOWN COMPACT";
      case POSTGRESQL -> "pg_total_relation_size of the store's tables";
      case MARIADB -> "data + index length of the store's tables (information_schema, after OPTIMIZE TABLE)";
      case GIT -> "bytes of the bare repository's files";
    };
  }

  private long postgresBytes() {
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("select coalesce(sum(pg_total_relation_size(quote_ident(table_name))), 0) "
            + "from information_schema.tables where table_schema = current_schema() and table_name like ?")) {
      ps.setString(1, prefix + "%");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot measure the PostgreSQL tables: " + e.getMessage(), e);
    }
  }

  private long mariadbBytes() {
    try (Connection c = dataSource.getConnection()) {
      List<String> tables = ownTables(c, kind, prefix);
      try (Statement st = c.createStatement()) {
        for (String t : tables) {
          // InnoDB allocates pages and extents ahead of use and refreshes data_length lazily:
          // OPTIMIZE rebuilds each table at rest (and analyzes it), as H2 is compacted above.
          st.execute("optimize table `" + t + "`");
        }
      }
      try (PreparedStatement ps = c.prepareStatement("select coalesce(sum(data_length + index_length), 0) "
          + "from information_schema.tables where table_schema = database() and table_name like ?")) {
        ps.setString(1, prefix + "%");
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot measure the MariaDB tables: " + e.getMessage(), e);
    }
  }

  private static List<String> ownTables(Connection c, StoreKind kind, String prefix) throws SQLException {
    List<String> tables = new ArrayList<>();
    String schema = kind == StoreKind.MARIADB ? "database()" : "current_schema()";
    try (PreparedStatement ps = c.prepareStatement("select table_name from information_schema.tables "
        + "where table_schema = " + schema + " and table_name like ?")) {
      ps.setString(1, prefix + "%");
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String t = rs.getString(1);
          if (t.startsWith(prefix)) { // '_' is a LIKE wildcard; never touch a table that is not ours
            tables.add(t);
          }
        }
      }
    }
    return tables;
  }

  /** Whether MariaDB answers on 127.0.0.1:3306 (database test, user root, no password). */
  static boolean mariadbReachable() {
    try (Connection c = java.sql.DriverManager.getConnection(MARIADB_URL, "root", "")) {
      return c.isValid(3);
    } catch (SQLException e) {
      return false;
    }
  }

  static long usedHeapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Whether PostgreSQL answers on 127.0.0.1:5432 (database test, user postgres). */
  static boolean postgresReachable() {
    try (Connection c = java.sql.DriverManager.getConnection(POSTGRES_URL, "postgres", "")) {
      return c.isValid(3);
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    if (store instanceof GitCheckpointStore git) {
      git.close();
    }
    if ((kind == StoreKind.POSTGRESQL || kind == StoreKind.MARIADB) && dataSource != null) {
      dropServerTables();
    }
    if (dataSource != null) {
      dataSource.close();
    }
    Workspace.deleteTree(dir);
  }

  private void dropServerTables() {
    try (Connection c = dataSource.getConnection()) {
      dropTables(c, kind, prefix);
    } catch (SQLException e) {
      System.err.println("bench: could not drop the " + kind.label() + " tables " + prefix + "*: " + e.getMessage());
    }
  }

  /** Drops the PostgreSQL tables whose names start with {@code prefix} (a bench's own tables). */
  static void dropPostgresTables(String prefix) {
    try (Connection c = java.sql.DriverManager.getConnection(POSTGRES_URL, "postgres", "")) {
      dropTables(c, StoreKind.POSTGRESQL, prefix);
    } catch (SQLException e) {
      System.err.println("bench: could not drop the PostgreSQL tables " + prefix + "*: " + e.getMessage());
    }
  }

  private static void dropTables(Connection c, StoreKind kind, String prefix) throws SQLException {
    try (Statement st = c.createStatement()) {
      List<String> tables = ownTables(c, kind, prefix);
      if (kind == StoreKind.MARIADB) {
        st.execute("set foreign_key_checks = 0");
        for (String t : tables) {
          st.execute("drop table if exists `" + t + "`");
        }
        st.execute("set foreign_key_checks = 1");
      } else {
        for (String t : tables) {
          st.execute("drop table if exists \"" + t + "\" cascade");
        }
      }
    }
  }
}
