package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.StoreException;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;

/** The SQL dialects the store speaks. Usually detected from the connection's metadata. */
public enum Dialect {
  /** H2 2.x, embedded (in-memory or file) or server. */
  H2("h2"),
  /** PostgreSQL 11 or newer. */
  POSTGRESQL("postgresql"),
  /** MariaDB 10.3 or newer; MySQL 8 is accepted as the same dialect. */
  MARIADB("mariadb");

  private final String directory;

  Dialect(String directory) {
    this.directory = directory;
  }

  /** The folder of this dialect's migration scripts under {@code io/chatbuilder/store/jdbc/migrations/}. */
  String directory() {
    return directory;
  }

  /** An insert of one blob that does nothing when another writer stored the same bytes first. */
  String insertBlobIfAbsent(String table) {
    String columns = " (id, byte_size, encoding, data) VALUES (?, ?, ?, ?)";
    return switch (this) {
      case H2 -> "MERGE INTO " + table + " (id, byte_size, encoding, data) KEY (id) VALUES (?, ?, ?, ?)";
      case POSTGRESQL -> "INSERT INTO " + table + columns + " ON CONFLICT (id) DO NOTHING";
      case MARIADB -> "INSERT INTO " + table + columns + " ON DUPLICATE KEY UPDATE id = id";
    };
  }

  /**
   * The database's current time in milliseconds since the epoch, as an SQL expression: leases are
   * timed by the one clock every host shares, so host clock skew cannot shorten or stretch them.
   * Independent of session time zones (MariaDB's UTC_TIMESTAMP, PostgreSQL's and H2's zoned
   * timestamps).
   */
  String nowMillis() {
    return switch (this) {
      case H2 -> "CAST(EXTRACT(EPOCH FROM CURRENT_TIMESTAMP) * 1000 AS BIGINT)";
      case POSTGRESQL -> "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
      case MARIADB -> "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000)";
    };
  }

  static Dialect detect(DatabaseMetaData metaData) throws SQLException {
    String product = metaData.getDatabaseProductName();
    String name = product == null ? "" : product.toLowerCase(Locale.ROOT);
    if (name.contains("h2")) {
      return H2;
    }
    if (name.contains("postgres")) {
      return POSTGRESQL;
    }
    if (name.contains("mariadb") || name.contains("mysql")) {
      return MARIADB;
    }
    throw new StoreException("unsupported database '" + product + "'; set the dialect explicitly"
        + " (H2, POSTGRESQL or MARIADB) if it is compatible with one of them", null);
  }
}
