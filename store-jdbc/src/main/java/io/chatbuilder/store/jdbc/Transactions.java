package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.CancelledException;
import io.chatbuilder.core.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs units of work on a fresh connection from the host's {@link DataSource}, each in one
 * transaction, and retries the ones the database aborted to break a deadlock or a serialization
 * conflict. No connection outlives a call.
 */
final class Transactions {
  private static final Logger log = LoggerFactory.getLogger(Transactions.class);

  /** Work on one connection; may be run more than once when retried. */
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  /** Thrown by work that lost a benign race (e.g. two first inserts of a lock row): run it again. */
  static final class Retry extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Retry(String message, Throwable cause) {
      super(message, cause, false, false);
    }
  }

  private final DataSource dataSource;
  private final int maxAttempts;

  Transactions(DataSource dataSource, int maxAttempts) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource == null");
    this.maxAttempts = maxAttempts;
  }

  /** Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. */
  <T> T inTransaction(String what, Work<T> work) {
    for (int attempt = 1; ; attempt++) {
      try (Connection connection = dataSource.getConnection()) {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
          T result = work.run(connection);
          connection.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(connection, e);
          throw e;
        } finally {
          restoreAutoCommit(connection, autoCommit);
        }
      } catch (SQLException e) {
        if (isTransient(e) && attempt < maxAttempts) {
          log.debug("{}: transient failure (attempt {} of {}), retrying: {}", what, attempt, maxAttempts, e.toString());
          backOff(attempt);
          continue;
        }
        throw storeError(what, e);
      } catch (Retry e) {
        if (attempt < maxAttempts) {
          backOff(attempt);
          continue;
        }
        throw new StoreException(what + " failed after " + maxAttempts + " attempts: " + e.getMessage(), e.getCause());
      }
    }
  }

  /** Runs read-only {@code work} in auto-commit mode. */
  <T> T read(String what, Work<T> work) {
    for (int attempt = 1; ; attempt++) {
      try (Connection connection = dataSource.getConnection()) {
        return work.run(connection);
      } catch (SQLException e) {
        if (isTransient(e) && attempt < maxAttempts) {
          backOff(attempt);
          continue;
        }
        throw storeError(what, e);
      }
    }
  }

  static StoreException storeError(String what, SQLException e) {
    String state = e.getSQLState();
    return new StoreException(what + " failed" + (state == null ? "" : " (SQLSTATE " + state + ")") + ": "
        + e.getMessage(), e);
  }

  /** Deadlocks, serialization failures and lock timeouts: the transaction was rolled back whole. */
  static boolean isTransient(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        for (SQLException n = s; n != null; n = n.getNextException()) {
          if (isTransientOne(n)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static boolean isTransientOne(SQLException e) {
    String state = e.getSQLState();
    if ("40001".equals(state) || "40P01".equals(state)) {
      return true; // serialization failure, deadlock (PostgreSQL 40P01; H2 and MariaDB 40001)
    }
    int code = e.getErrorCode();
    if (state != null && (state.equals("HYT00") || state.startsWith("HY"))) {
      // H2: 50200 lock timeout, 90131 concurrent update; MariaDB: 1205 lock wait timeout, 1213 deadlock
      return code == 50200 || code == 90131 || code == 1205 || code == 1213;
    }
    return code == 1213 || code == 1205 || code == 90131 || code == 50200 || "55P03".equals(state);
  }

  /** A unique-key violation: another writer inserted the same key first. */
  static boolean isDuplicateKey(SQLException e) {
    for (SQLException n = e; n != null; n = n.getNextException()) {
      String state = n.getSQLState();
      if ("23505".equals(state) || n.getErrorCode() == 1062 || n.getErrorCode() == 23505) {
        return true;
      }
    }
    return false;
  }

  private static void backOff(int attempt) {
    long ceiling = Math.min(200, 5L << Math.min(attempt, 6));
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(1, ceiling + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancelledException("interrupted while retrying a transaction", e);
    }
  }

  private static void rollbackQuietly(Connection connection, Exception cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  private static void restoreAutoCommit(Connection connection, boolean autoCommit) {
    try {
      if (!connection.isClosed()) {
        connection.setAutoCommit(autoCommit);
      }
    } catch (SQLException e) {
      log.debug("could not restore auto-commit on a connection", e);
    }
  }
}
