package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.event.AppEvent;
import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.json.JsonCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An {@link AppEventLog} on JDBC: one row per event (its JSON wire form) keyed by app and seq, and
 * one row per app holding its last seq. An append locks that row ({@code SELECT ... FOR UPDATE}),
 * takes the next seq and inserts in the same transaction, so appends from any number of hosts are
 * serialized per app: no duplicate, and no gap (a rolled-back append leaves the counter as it was).
 */
final class JdbcAppEventLog implements AppEventLog {
  private final Transactions transactions;
  private final Tables t;
  private final JsonCodec codec;

  JdbcAppEventLog(Transactions transactions, Tables tables, JsonCodec codec) {
    this.transactions = transactions;
    this.t = tables;
    this.codec = codec;
  }

  @Override
  public AppEvent append(AppEvent event) {
    Objects.requireNonNull(event, "event == null");
    JdbcCheckpointStore.checkAppId(event.appId());
    String appId = event.appId();
    return transactions.inTransaction("appending " + event.type() + " to the app stream of " + appId, c -> {
      long seq = lockLastSeq(c, appId) + 1;
      AppEvent numbered = event.withSeq(seq);
      try (PreparedStatement s = c.prepareStatement(
          "INSERT INTO " + t.appEvents + " (app_id, seq, event_type, payload, created_at_ms) VALUES (?, ?, ?, ?, ?)")) {
        s.setString(1, appId);
        s.setLong(2, seq);
        s.setString(3, numbered.type().length() > 64 ? numbered.type().substring(0, 64) : numbered.type());
        s.setString(4, codec.toJson(numbered));
        s.setLong(5, numbered.at().toEpochMilli());
        s.executeUpdate();
      }
      try (PreparedStatement s = c.prepareStatement("UPDATE " + t.appStreams + " SET last_seq = ? WHERE app_id = ?")) {
        s.setLong(1, seq);
        s.setString(2, appId);
        s.executeUpdate();
      }
      return numbered;
    });
  }

  @Override
  public List<AppEvent> read(String appId, long afterSeq, int limit) {
    Objects.requireNonNull(appId, "appId == null");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be >= 1");
    }
    return transactions.read("reading the app stream of " + appId, c -> {
      List<AppEvent> out = new ArrayList<>();
      // The seq range bounds the rows without a dialect-specific LIMIT clause.
      try (PreparedStatement s = c.prepareStatement("SELECT payload FROM " + t.appEvents
          + " WHERE app_id = ? AND seq > ? AND seq <= ? ORDER BY seq")) {
        s.setString(1, appId);
        s.setLong(2, afterSeq);
        s.setLong(3, afterSeq > Long.MAX_VALUE - limit ? Long.MAX_VALUE : afterSeq + limit);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(codec.appEventFromJson(rs.getString(1)));
          }
        }
      }
      return out;
    });
  }

  @Override
  public long lastSeq(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    return transactions.read("reading the last seq of the app stream of " + appId, c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT last_seq FROM " + t.appStreams + " WHERE app_id = ?")) {
        s.setString(1, appId);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? rs.getLong(1) : 0L;
        }
      }
    });
  }

  /** Locks the app's stream row (creating it at 0) and returns its last seq. */
  private long lockLastSeq(Connection c, String appId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT last_seq FROM " + t.appStreams + " WHERE app_id = ? FOR UPDATE")) {
      s.setString(1, appId);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
    }
    try (PreparedStatement s = c.prepareStatement("INSERT INTO " + t.appStreams + " (app_id, last_seq) VALUES (?, 0)")) {
      s.setString(1, appId);
      s.executeUpdate();
    } catch (SQLException e) {
      if (Transactions.isDuplicateKey(e)) {
        throw new Transactions.Retry("another writer created the app stream of " + appId, e);
      }
      throw e;
    }
    return 0;
  }
}
