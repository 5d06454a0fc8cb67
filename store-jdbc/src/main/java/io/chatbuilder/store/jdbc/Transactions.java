package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.StoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs units of work on a fresh connection from the host's {@link DataSource}, each in one
 * transaction, and retries the failures that are safe to retry, with the store's {@link
 * RetryPolicy}. No connection outlives a call.
 *
 * <p>What is retried depends on the failure ({@link #classify}, the one place that decides) and on
 * the work:
 * <ul>
 *   <li>the database rolled the transaction back whole (deadlock, serialization failure, lock wait
 *       timeout): always retried;
 *   <li>no connection could be had: always retried, nothing ran;
 *   <li>the connection was lost during the work or its commit: the commit may or may not have
 *       landed, so only {@link #read reads} and {@link #inIdempotentTransaction idempotent work}
 *       (whose retry sees its own landed commit and reports it) are retried; other work fails with
 *       {@link StoreException}.
 * </ul>
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

  /** What a failure means for a retry. */
  enum Failure {
    /** The database rolled the whole transaction back; running it again is safe. */
    ROLLED_BACK,
    /** The connection is gone; whether a commit in flight landed is unknown. */
    CONNECTION_LOST,
    /** Anything else: not retried. */
    OTHER
  }

  private final DataSource dataSource;
  private final RetryPolicy policy;

  Transactions(DataSource dataSource, RetryPolicy policy) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource == null");
    this.policy = Objects.requireNonNull(policy, "policy == null");
  }

  /**
   * Runs {@code work} in one transaction: committed if it returns, rolled back if it throws. A lost
   * connection after the work began is not retried (a commit may have landed).
   */
  <T> T inTransaction(String what, Work<T> work) {
    return run(what, work, false, true);
  }

  /**
   * Like {@link #inTransaction}, for work that is safe to run again after its commit landed unseen
   * (it finds its own earlier commit and returns the same result): lost connections are retried too.
   */
  <T> T inIdempotentTransaction(String what, Work<T> work) {
    return run(what, work, true, true);
  }

  /** Runs read-only {@code work} in auto-commit mode; every transient failure is retried. */
  <T> T read(String what, Work<T> work) {
    return run(what, work, true, false);
  }

  private <T> T run(String what, Work<T> work, boolean repeatable, boolean transaction) {
    for (int attempt = 1; ; attempt++) {
      boolean connected = false;
      try (Connection connection = dataSource.getConnection()) {
        connected = true;
        if (!transaction) {
          return work.run(connection);
        }
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
        Failure failure = classify(e);
        boolean retry = failure == Failure.ROLLED_BACK
            || (failure == Failure.CONNECTION_LOST && (repeatable || !connected));
        if (retry && policy.allowsAnotherAfter(attempt)) {
          log.debug("{}: {} (attempt {} of {}), retrying: {}", what, failure, attempt, policy.maxAttempts(), e.toString());
          policy.sleep(attempt, ThreadLocalRandom.current());
          continue;
        }
        if (failure == Failure.CONNECTION_LOST && connected && !repeatable) {
          throw new StoreException(what + " failed: the connection was lost, so whether it took effect is unknown"
              + " (SQLSTATE " + e.getSQLState() + "): " + e.getMessage(), e);
        }
        throw storeError(what, e);
      } catch (Retry e) {
        if (policy.allowsAnotherAfter(attempt)) {
          policy.sleep(attempt, ThreadLocalRandom.current());
          continue;
        }
        throw new StoreException(what + " failed after " + policy.maxAttempts() + " attempts: " + e.getMessage(),
            e.getCause());
      }
    }
  }

  static StoreException storeError(String what, SQLException e) {
    String state = e.getSQLState();
    return new StoreException(what + " failed" + (state == null ? "" : " (SQLSTATE " + state + ")") + ": "
        + e.getMessage(), e);
  }

  /** Whether the database rolled the transaction back whole (deadlock, serialization, lock timeout). */
  static boolean isTransient(SQLException e) {
    return classify(e) == Failure.ROLLED_BACK;
  }

  /**
   * The one classification of SQL failures, over the exception, its causes and its chained
   * exceptions: a rollback-whole anywhere wins, then a lost connection.
   */
  static Failure classify(SQLException e) {
    Failure found = Failure.OTHER;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        for (SQLException n = s; n != null; n = n.getNextException()) {
          Failure one = classifyOne(n);
          if (one == Failure.ROLLED_BACK) {
            return one;
          }
          if (one == Failure.CONNECTION_LOST) {
            found = one;
          }
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return found;
  }

  private static Failure classifyOne(SQLException e) {
    String state = e.getSQLState();
    int code = e.getErrorCode();
    if ("40001".equals(state) || "40P01".equals(state) || "55P03".equals(state)) {
      return Failure.ROLLED_BACK; // serialization failure, deadlock (PostgreSQL 40P01; H2 and MariaDB 40001), lock not available
    }
    // MariaDB/MySQL 1213 deadlock, 1205 lock wait timeout; H2 50200 lock timeout, 90131 concurrent update
    if (code == 1213 || code == 1205 || code == 50200 || code == 90131) {
      return Failure.ROLLED_BACK;
    }
    if (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
        || state.equals("57P03"))) {
      return Failure.CONNECTION_LOST; // connection exception class; PostgreSQL terminated backend, shutdown
    }
    if (code == 1927) {
      return Failure.CONNECTION_LOST; // MariaDB: the connection was killed (KILL CONNECTION)
    }
    if (e instanceof SQLRecoverableException || e instanceof SQLTransientConnectionException) {
      return Failure.CONNECTION_LOST;
    }
    return Failure.OTHER;
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
