package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.ContentHash;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small versioned-migration runner, so hosts need no Flyway or Liquibase. Scripts live under
 * {@code io/chatbuilder/store/jdbc/migrations/<dialect>/V<n>__<name>.sql} (falling back to
 * {@code common/} where one script fits every dialect), with {@code ${prefix}} for the table prefix.
 * Applied versions are recorded in {@code <prefix>schema_migrations} with the script's checksum.
 * Only one node migrates at a time: PostgreSQL and MariaDB take a session advisory lock, H2 a row
 * lock held by a second connection; either is released by the database if the node dies.
 */
final class Migrations {
  private static final Logger log = LoggerFactory.getLogger(Migrations.class);
  static final String ROOT = "io/chatbuilder/store/jdbc/migrations/";
  private static final long LOCK_WAIT_MILLIS = 120_000;

  /** One versioned script. */
  record Migration(int version, String name) {
    String fileName() {
      return "V" + version + "__" + name + ".sql";
    }
  }

  /** Every migration this version of the library knows, in order. */
  static final List<Migration> ALL = List.of(new Migration(1, "create_tables"), new Migration(2, "create_leases"),
      new Migration(3, "intents_and_turns"), new Migration(4, "fork_and_labels"),
      new Migration(5, "app_events"));

  private final DataSource dataSource;
  private final Dialect dialect;
  private final Tables tables;

  Migrations(DataSource dataSource, Dialect dialect, Tables tables) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource == null");
    this.dialect = Objects.requireNonNull(dialect, "dialect == null");
    this.tables = Objects.requireNonNull(tables, "tables == null");
  }

  void apply(SchemaMode mode) {
    switch (mode) {
      case SKIP -> { }
      case VALIDATE -> validate();
      case CREATE -> {
        migrate();
        validate();
      }
    }
  }

  /** The script text of a migration for this dialect, before the prefix is substituted. */
  String script(Migration migration) {
    String text = resource(ROOT + dialect.directory() + "/" + migration.fileName());
    if (text == null) {
      text = resource(ROOT + "common/" + migration.fileName());
    }
    if (text == null) {
      throw new IllegalStateException("migration " + migration.fileName() + " is missing for " + dialect);
    }
    return text.replace("\r\n", "\n");
  }

  String checksum(Migration migration) {
    return ContentHash.sha256(script(migration).getBytes(StandardCharsets.UTF_8));
  }

  private void migrate() {
    try (Connection connection = dataSource.getConnection()) {
      createBookkeepingTables(connection);
      try (MigrationLock lock = lock(connection)) {
        Map<Integer, String> applied = applied(connection);
        for (Migration migration : ALL) {
          if (!applied.containsKey(migration.version())) {
            run(connection, migration);
          }
        }
      }
    } catch (SQLException e) {
      throw Transactions.storeError("migrating the schema of '" + tables.prefix + "'", e);
    }
  }

  private void run(Connection connection, Migration migration) throws SQLException {
    log.info("applying {} to tables '{}*' ({})", migration.fileName(), tables.prefix, dialect);
    boolean autoCommit = connection.getAutoCommit();
    // Transactional DDL on PostgreSQL makes a migration all-or-nothing; elsewhere DDL commits by
    // itself, so every script is written to be re-runnable (IF NOT EXISTS).
    connection.setAutoCommit(false);
    try (Statement statement = connection.createStatement()) {
      for (String sql : statements(script(migration).replace("${prefix}", tables.prefix))) {
        statement.execute(sql);
      }
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + tables.migrations
          + " (version, description, checksum, installed_on) VALUES (?, ?, ?, ?)")) {
        insert.setInt(1, migration.version());
        insert.setString(2, migration.name());
        insert.setString(3, checksum(migration));
        insert.setString(4, Instant.now().toString());
        insert.executeUpdate();
      }
      connection.commit();
    } catch (SQLException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  private void validate() {
    try (Connection connection = dataSource.getConnection()) {
      Map<Integer, String> applied;
      try {
        applied = applied(connection);
      } catch (SQLException e) {
        throw new StoreException("the schema of '" + tables.prefix + "' is not installed (no table "
            + tables.migrations + "); build with SchemaMode.CREATE or apply the shipped DDL", e);
      }
      for (Migration migration : ALL) {
        String checksum = applied.get(migration.version());
        if (checksum == null) {
          throw new StoreException("the schema of '" + tables.prefix + "' lacks migration "
              + migration.fileName() + "; build with SchemaMode.CREATE or apply the shipped DDL", null);
        }
        if (!checksum.equals(checksum(migration))) {
          throw new StoreException("migration " + migration.fileName() + " of '" + tables.prefix
              + "' was applied from a different script (checksum " + checksum + ", expected "
              + checksum(migration) + ")", null);
        }
      }
      for (Integer version : applied.keySet()) {
        if (ALL.stream().noneMatch(m -> m.version() == version)) {
          log.warn("tables '{}*' have migration V{} that this version does not know; a newer node migrated them",
              tables.prefix, version);
        }
      }
      for (String table : tables.dataTables()) {
        try (Statement statement = connection.createStatement()) {
          statement.executeQuery("SELECT COUNT(*) FROM " + table + " WHERE 1 = 0").close();
        } catch (SQLException e) {
          throw new StoreException("table " + table + " is missing or unreadable although its migration is recorded", e);
        }
      }
    } catch (SQLException e) {
      throw Transactions.storeError("validating the schema of '" + tables.prefix + "'", e);
    }
  }

  private Map<Integer, String> applied(Connection connection) throws SQLException {
    Map<Integer, String> applied = new HashMap<>();
    try (Statement statement = connection.createStatement();
        ResultSet rs = statement.executeQuery("SELECT version, checksum FROM " + tables.migrations)) {
      while (rs.next()) {
        applied.put(rs.getInt(1), rs.getString(2));
      }
    }
    return applied;
  }

  private void createBookkeepingTables(Connection connection) throws SQLException {
    String migrationsDdl = "CREATE TABLE IF NOT EXISTS " + tables.migrations + " (version INTEGER NOT NULL PRIMARY KEY,"
        + " description VARCHAR(200) NOT NULL, checksum VARCHAR(64) NOT NULL, installed_on VARCHAR(40) NOT NULL)";
    String lockDdl = "CREATE TABLE IF NOT EXISTS " + tables.migrationLock + " (id INTEGER NOT NULL PRIMARY KEY)";
    for (int attempt = 1; ; attempt++) {
      try (Statement statement = connection.createStatement()) {
        statement.execute(migrationsDdl);
        if (dialect == Dialect.H2) {
          statement.execute(lockDdl);
          try {
            statement.execute("INSERT INTO " + tables.migrationLock + " (id) SELECT 1 WHERE NOT EXISTS"
                + " (SELECT 1 FROM " + tables.migrationLock + " WHERE id = 1)");
          } catch (SQLException e) {
            if (!Transactions.isDuplicateKey(e)) {
              throw e;
            }
          }
        }
        return;
      } catch (SQLException e) {
        // Two nodes creating the same table at once can collide in the catalog (PostgreSQL
        // reports a duplicate key in pg_type); the table exists afterwards, so try again.
        if (attempt >= 3) {
          throw e;
        }
      }
    }
  }

  private MigrationLock lock(Connection connection) throws SQLException {
    return switch (dialect) {
      case POSTGRESQL -> {
        long key = lockKey();
        try (PreparedStatement s = connection.prepareStatement("SELECT pg_advisory_lock(?)")) {
          s.setLong(1, key);
          s.executeQuery().close();
        }
        yield () -> {
          try (PreparedStatement s = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            s.setLong(1, key);
            s.executeQuery().close();
          }
        };
      }
      case MARIADB -> {
        String name = "chatbuilder_migrate_" + tables.prefix;
        try (PreparedStatement s = connection.prepareStatement("SELECT GET_LOCK(?, ?)")) {
          s.setString(1, name);
          s.setInt(2, (int) (LOCK_WAIT_MILLIS / 1000));
          try (ResultSet rs = s.executeQuery()) {
            if (!rs.next() || rs.getInt(1) != 1) {
              throw new StoreException("timed out waiting for another node to finish migrating '" + tables.prefix + "'", null);
            }
          }
        }
        yield () -> {
          try (PreparedStatement s = connection.prepareStatement("SELECT RELEASE_LOCK(?)")) {
            s.setString(1, name);
            s.executeQuery().close();
          }
        };
      }
      case H2 -> {
        Connection holder = dataSource.getConnection();
        try {
          holder.setAutoCommit(false);
          long deadline = System.nanoTime() + LOCK_WAIT_MILLIS * 1_000_000;
          while (true) {
            try (Statement s = holder.createStatement()) {
              s.executeQuery("SELECT id FROM " + tables.migrationLock + " WHERE id = 1 FOR UPDATE").close();
              break;
            } catch (SQLException e) {
              holder.rollback();
              if (!Transactions.isTransient(e) || System.nanoTime() > deadline) {
                throw e;
              }
            }
          }
        } catch (SQLException | RuntimeException e) {
          holder.close();
          throw e;
        }
        yield () -> {
          try {
            holder.rollback();
          } finally {
            holder.close();
          }
        };
      }
    };
  }

  private long lockKey() {
    String hash = ContentHash.sha256(("chatbuilder-migrate:" + tables.prefix).getBytes(StandardCharsets.UTF_8));
    return Long.parseLong(hash.substring(0, 15), 16);
  }

  /** Splits a script on semicolons that end a line; lines starting with {@code --} are comments. */
  static List<String> statements(String script) {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : script.split("\n", -1)) {
      String trimmed = line.strip();
      if (trimmed.isEmpty() || trimmed.startsWith("--")) {
        continue;
      }
      current.append(line).append('\n');
      if (trimmed.endsWith(";")) {
        String sql = current.toString().strip();
        out.add(sql.substring(0, sql.length() - 1));
        current.setLength(0);
      }
    }
    if (!current.toString().isBlank()) {
      out.add(current.toString().strip());
    }
    return out;
  }

  private static String resource(String name) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(name)) {
      return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StoreException("cannot read " + name, e);
    }
  }

  /** A held migration lock. */
  private interface MigrationLock extends AutoCloseable {
    @Override
    void close() throws SQLException;
  }
}
