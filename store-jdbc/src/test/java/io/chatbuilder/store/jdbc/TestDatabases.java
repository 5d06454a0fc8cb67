package io.chatbuilder.store.jdbc;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The databases the tests run on. PostgreSQL and MariaDB are the real servers on 127.0.0.1: when
 * one is unreachable the test is skipped with a message, except under {@code CI=true}, where it
 * fails, so CI can never pass without testing them.
 */
final class TestDatabases {
  static final String POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  static final String MARIADB_URL = "jdbc:mariadb://127.0.0.1:3306/test";

  private TestDatabases() {}

  static SimpleDataSource h2Memory() {
    return new SimpleDataSource("jdbc:h2:mem:cb" + UUID.randomUUID().toString().replace("-", "")
        + ";DB_CLOSE_DELAY=-1", "sa", "");
  }

  /** An H2 file database that writes every commit before acknowledging it (WRITE_DELAY=0). */
  static SimpleDataSource h2File(Path file) {
    return new SimpleDataSource("jdbc:h2:file:" + file.toAbsolutePath() + ";WRITE_DELAY=0", "sa", "");
  }

  static SimpleDataSource postgres() {
    return reachable(new SimpleDataSource(POSTGRES_URL + "?connectTimeout=3", "postgres", ""), "PostgreSQL",
        "PostgreSQL on 127.0.0.1:5432 (database test, user postgres, trust auth)");
  }

  static SimpleDataSource mariadb() {
    return reachable(new SimpleDataSource(MARIADB_URL + "?connectTimeout=3000", "root", ""), "MariaDB",
        "MariaDB on 127.0.0.1:3306 (database test, user root, empty password)");
  }

  /** A database by name: {@code h2}, {@code postgresql} or {@code mariadb}. */
  static SimpleDataSource named(String name) {
    return switch (name) {
      case "h2" -> h2Memory();
      case "postgresql" -> postgres();
      case "mariadb" -> mariadb();
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** A table prefix no other run or engineer uses. */
  static String uniquePrefix() {
    return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";
  }

  private static SimpleDataSource reachable(SimpleDataSource dataSource, String name, String where) {
    try (Connection connection = dataSource.getConnection()) {
      connection.isValid(3);
      return dataSource;
    } catch (SQLException e) {
      String message = name + " is not reachable (" + e.getMessage() + "); these tests need " + where
          + ". See DEVELOPERS.md.";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true: " + message, e);
      }
      Assumptions.abort("skipped: " + message);
      throw new AssertionError("unreachable");
    }
  }

  /** Drops every table under {@code prefix}. */
  static void dropTables(SimpleDataSource dataSource, String prefix) throws SQLException {
    Tables tables = new Tables(prefix);
    List<String> all = new java.util.ArrayList<>(tables.dataTables());
    all.add(tables.migrations);
    all.add(tables.migrationLock);
    try (Connection connection = dataSource.getConnection(); Statement s = connection.createStatement()) {
      for (String table : all) {
        s.execute("DROP TABLE IF EXISTS " + table);
      }
    }
    dataSource.closeIdle();
  }

  /** Builds stores on a data source with a prefix (schema CREATE). */
  static JdbcStores stores(SimpleDataSource dataSource, String prefix) {
    return JdbcStores.builder(dataSource).tablePrefix(prefix).build();
  }
}
