package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.BusyException;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseIntent;
import io.chatbuilder.core.checkpoint.LeaseStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Leases in the {@code leases} table, one row per app, timed by the database's clock.
 *
 * <p>Acquiring is one conditional {@code UPDATE} (the row is free: expired or released, or already
 * this holder's) that increments the token, checked by its update count; a missing row is
 * inserted with token 1, and of concurrent first inserts the primary key lets one win. There is no
 * read-then-write window, so of any number of hosts exactly one gets the lease. The row is never
 * deleted, which keeps tokens growing across releases and restarts.
 */
final class JdbcLeaseStore implements LeaseStore {
  private static final int MAX_HOLDER_LENGTH = 255;
  private static final int ACQUIRE_ATTEMPTS = 5;

  private final Transactions transactions;
  private final Tables t;
  private final String now;

  JdbcLeaseStore(Transactions transactions, Dialect dialect, Tables tables) {
    this.transactions = transactions;
    this.t = tables;
    this.now = dialect.nowMillis();
  }

  /** Thrown inside the insert's transaction when another writer inserted the row first. */
  private static final class RowExists extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RowExists() {
      super(null, null, false, false);
    }
  }

  /** The app's row as the database sees it now. */
  private record Row(String holder, long token, long expiresAtMs, long nowMs) {
    boolean live() {
      return expiresAtMs > nowMs;
    }

    Lease lease(String appId) {
      return new Lease(appId, holder, token, Instant.ofEpochMilli(expiresAtMs));
    }
  }

  @Override
  public Lease acquire(String appId, String holder, Duration ttl) {
    LeaseStore.checkAcquire(appId, holder, ttl);
    JdbcCheckpointStore.checkAppId(appId);
    JdbcCheckpointStore.checkText("holder", holder, MAX_HOLDER_LENGTH);
    long ttlMs = ttl.toMillis();
    for (int attempt = 1; ; attempt++) {
      Lease taken = transactions.inTransaction("acquiring the lease of app " + appId, c -> {
        try (PreparedStatement s = c.prepareStatement("UPDATE " + t.leases + " SET holder = ?, token = token + 1,"
            + " expires_at_ms = " + now + " + ?, acquired_at_ms = " + now
            + " WHERE app_id = ? AND (expires_at_ms <= " + now + " OR holder = ?)")) {
          s.setString(1, holder);
          s.setLong(2, ttlMs);
          s.setString(3, appId);
          s.setString(4, holder);
          if (s.executeUpdate() == 0) {
            return null;
          }
        }
        return row(c, appId, false).orElseThrow().lease(appId);
      });
      if (taken != null) {
        return taken;
      }
      try {
        taken = transactions.inTransaction("acquiring the first lease of app " + appId, c -> {
          try (PreparedStatement s = c.prepareStatement("INSERT INTO " + t.leases
              + " (app_id, holder, token, expires_at_ms, acquired_at_ms) VALUES (?, ?, 1, " + now + " + ?, " + now + ")")) {
            s.setString(1, appId);
            s.setString(2, holder);
            s.setLong(3, ttlMs);
            s.executeUpdate();
          } catch (SQLException e) {
            if (Transactions.isDuplicateKey(e)) {
              throw new RowExists(); // rolls the transaction back
            }
            throw e;
          }
          return row(c, appId, false).orElseThrow().lease(appId);
        });
        return taken;
      } catch (RowExists e) {
        // the row exists: held, or freed since the update above
      }
      Optional<Row> row = transactions.read("reading the lease of app " + appId, c -> row(c, appId, false));
      if (row.isPresent() && row.get().live()) {
        throw busy(appId, row.get());
      }
      if (attempt >= ACQUIRE_ATTEMPTS) {
        // Freed and taken again between our statements every time: someone else is winning.
        throw new BusyException("app " + appId + " is busy: its lease changed hands during " + attempt + " attempts");
      }
    }
  }

  private static BusyException busy(String appId, Row row) {
    return new BusyException("app " + appId + " is busy: " + row.holder() + " holds it until "
        + Instant.ofEpochMilli(row.expiresAtMs()));
  }

  @Override
  public Lease renew(Lease lease, Duration ttl) {
    Objects.requireNonNull(lease, "lease == null");
    LeaseStore.checkTtl(ttl);
    String appId = lease.appId();
    return transactions.inTransaction("renewing the lease of app " + appId, c -> {
      try (PreparedStatement s = c.prepareStatement("UPDATE " + t.leases + " SET expires_at_ms = " + now + " + ?"
          + " WHERE app_id = ? AND token = ? AND expires_at_ms > " + now)) {
        s.setLong(1, ttl.toMillis());
        s.setString(2, appId);
        s.setLong(3, lease.token());
        s.executeUpdate();
      }
      // Decided by reading the row back, not by the update count: MariaDB may count a row whose
      // value did not change (renewed twice in one millisecond) as not updated.
      Optional<Row> row = row(c, appId, false);
      if (row.isPresent() && row.get().token() == lease.token() && row.get().live()) {
        return row.get().lease(appId);
      }
      throw lost(lease, row);
    });
  }

  @Override
  public void release(Lease lease) {
    Objects.requireNonNull(lease, "lease == null");
    transactions.inTransaction("releasing the lease of app " + lease.appId(), c -> {
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE " + t.leases + " SET expires_at_ms = 0 WHERE app_id = ? AND token = ?")) {
        s.setString(1, lease.appId());
        s.setLong(2, lease.token());
        s.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public void recordIntent(Lease lease, String intent) {
    LeaseStore.checkIntent(lease, intent);
    setIntent(lease, intent);
  }

  @Override
  public void clearIntent(Lease lease) {
    Objects.requireNonNull(lease, "lease == null");
    setIntent(lease, null);
  }

  /** One transaction: the fence checked, the intent cleared and the lease expired in one UPDATE. */
  @Override
  public void clearIntentAndRelease(Lease lease) {
    Objects.requireNonNull(lease, "lease == null");
    transactions.inTransaction("ending the operation on app " + lease.appId(), c -> {
      checkFence(c, lease);
      try (PreparedStatement s = c.prepareStatement("UPDATE " + t.leases
          + " SET intent = NULL, intent_token = NULL, expires_at_ms = 0 WHERE app_id = ? AND token = ?")) {
        s.setString(1, lease.appId());
        s.setLong(2, lease.token());
        s.executeUpdate();
      }
      return null;
    });
  }

  private void setIntent(Lease lease, String intent) {
    transactions.inTransaction("recording the intent on app " + lease.appId(), c -> {
      checkFence(c, lease);
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE " + t.leases + " SET intent = ?, intent_token = ? WHERE app_id = ? AND token = ?")) {
        s.setString(1, intent);
        if (intent == null) {
          s.setNull(2, java.sql.Types.BIGINT);
        } else {
          s.setLong(2, lease.token());
        }
        s.setString(3, lease.appId());
        s.setLong(4, lease.token());
        s.executeUpdate();
      }
      return null;
    });
  }

  @Override
  public Optional<LeaseIntent> intent(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    return transactions.read("reading the intent on app " + appId, c -> {
      try (PreparedStatement s = c.prepareStatement(
          "SELECT intent, intent_token FROM " + t.leases + " WHERE app_id = ?")) {
        s.setString(1, appId);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) {
            return Optional.<LeaseIntent>empty();
          }
          String text = rs.getString(1);
          long token = rs.getLong(2);
          return text == null || rs.wasNull() ? Optional.<LeaseIntent>empty() : Optional.of(new LeaseIntent(token, text));
        }
      }
    });
  }

  @Override
  public Optional<Lease> current(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    return transactions.read("reading the lease of app " + appId,
        c -> row(c, appId, false).filter(Row::live).map(r -> r.lease(appId)));
  }

  /**
   * Inside a checkpoint append's transaction: locks the app's lease row and refuses the append
   * unless {@code lease} is live. The lock keeps a takeover waiting until the append commits, so a
   * checkpoint is never written by a holder that has lost the lease.
   */
  void checkFence(Connection c, Lease lease) throws SQLException {
    Optional<Row> row = row(c, lease.appId(), true);
    if (row.isPresent() && row.get().token() == lease.token() && row.get().live()) {
      return;
    }
    throw lost(lease, row);
  }

  private static LeaseLostException lost(Lease lease, Optional<Row> row) {
    String why;
    if (row.isEmpty() || lease.token() > row.get().token()) {
      why = "this store never handed it out";
    } else if (row.get().token() != lease.token()) {
      why = "taken over by " + row.get().holder() + " (token " + row.get().token() + ")";
    } else if (row.get().expiresAtMs() == 0) {
      why = "released";
    } else {
      why = "expired at " + Instant.ofEpochMilli(row.get().expiresAtMs()) + " by the database's clock";
    }
    return new LeaseLostException("the lease of " + lease.holder() + " on app " + lease.appId() + " (token "
        + lease.token() + ") is lost: " + why + "; nothing was written");
  }

  private Optional<Row> row(Connection c, String appId, boolean forUpdate) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT holder, token, expires_at_ms, " + now + " FROM " + t.leases
        + " WHERE app_id = ?" + (forUpdate ? " FOR UPDATE" : ""))) {
      s.setString(1, appId);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(new Row(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)));
      }
    }
  }
}
