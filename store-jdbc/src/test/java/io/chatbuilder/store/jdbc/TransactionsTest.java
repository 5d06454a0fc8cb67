package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.RetryPolicy;
import io.chatbuilder.core.StoreException;
import io.chatbuilder.store.jdbc.Transactions.Failure;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The one classification of SQL failures, and which work a lost connection may repeat. */
class TransactionsTest {

  @Test
  void classifiesRollbacksAndLostConnections() {
    assertThat(Transactions.classify(new SQLException("x", "40001"))).isEqualTo(Failure.ROLLED_BACK);
    assertThat(Transactions.classify(new SQLException("x", "40P01"))).isEqualTo(Failure.ROLLED_BACK);
    assertThat(Transactions.classify(new SQLException("deadlock", "40001", 1213))).isEqualTo(Failure.ROLLED_BACK);
    assertThat(Transactions.classify(new SQLException("lock wait", "HY000", 1205))).isEqualTo(Failure.ROLLED_BACK);
    assertThat(Transactions.classify(new SQLException("x", "08006"))).isEqualTo(Failure.CONNECTION_LOST);
    assertThat(Transactions.classify(new SQLException("x", "08001"))).isEqualTo(Failure.CONNECTION_LOST);
    assertThat(Transactions.classify(new SQLException("terminated", "57P01"))).isEqualTo(Failure.CONNECTION_LOST);
    assertThat(Transactions.classify(new SQLException("crash shutdown", "57P02"))).isEqualTo(Failure.CONNECTION_LOST);
    assertThat(Transactions.classify(new SQLException("cannot connect now", "57P03"))).isEqualTo(Failure.CONNECTION_LOST);
    assertThat(Transactions.classify(new SQLRecoverableException("gone"))).isEqualTo(Failure.CONNECTION_LOST);
    assertThat(Transactions.classify(new SQLTransientConnectionException("gone"))).isEqualTo(Failure.CONNECTION_LOST);
    assertThat(Transactions.classify(new SQLNonTransientConnectionException("socket closed", "08000")))
        .isEqualTo(Failure.CONNECTION_LOST);
    assertThat(Transactions.classify(new SQLException("Connection was killed", "70100", 1927)))
        .isEqualTo(Failure.CONNECTION_LOST);
    // Wrapped or chained: found too.
    assertThat(Transactions.classify(new SQLException("batch failed", "XX000", new SQLException("x", "08006"))))
        .isEqualTo(Failure.CONNECTION_LOST);
    SQLException chained = new SQLException("batch", "22000");
    chained.setNextException(new SQLException("x", "40P01"));
    assertThat(Transactions.classify(chained)).isEqualTo(Failure.ROLLED_BACK);
    // Not transient.
    assertThat(Transactions.classify(new SQLException("duplicate", "23505"))).isEqualTo(Failure.OTHER);
    assertThat(Transactions.classify(new SQLException("syntax", "42601"))).isEqualTo(Failure.OTHER);
    assertThat(Transactions.classify(new SQLNonTransientConnectionException("bad", "28000"))).isEqualTo(Failure.OTHER);
  }

  @Test
  void aLostConnectionRepeatsOnlyWorkThatIsSafeToRepeat() {
    Transactions transactions = new Transactions(TestDatabases.h2Memory(),
        new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(2), 0));
    AtomicInteger plain = new AtomicInteger();
    assertThatThrownBy(() -> transactions.inTransaction("plain work", c -> {
      plain.incrementAndGet();
      throw new SQLException("connection reset", "08006");
    })).isInstanceOf(StoreException.class).hasMessageContaining("whether it took effect is unknown");
    assertThat(plain).hasValue(1);

    AtomicInteger idempotent = new AtomicInteger();
    String result = transactions.inIdempotentTransaction("idempotent work", c -> {
      if (idempotent.incrementAndGet() < 3) {
        throw new SQLException("terminating connection due to administrator command", "57P01");
      }
      return "done";
    });
    assertThat(result).isEqualTo("done");
    assertThat(idempotent).hasValue(3);

    AtomicInteger rolledBack = new AtomicInteger();
    assertThatThrownBy(() -> transactions.inTransaction("deadlocking work", c -> {
      rolledBack.incrementAndGet();
      throw new SQLException("deadlock detected", "40P01");
    })).isInstanceOf(StoreException.class);
    assertThat(rolledBack).as("retried up to the policy's attempts").hasValue(4);
  }
}
