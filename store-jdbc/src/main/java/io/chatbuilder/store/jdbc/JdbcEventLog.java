package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.json.JsonCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An {@link EventLog} on JDBC: each event as its JSON wire form, keyed by app, run and seq. The run
 * row is locked while appending, so seqs stay gapless across hosts.
 */
final class JdbcEventLog implements EventLog {
  private final Transactions transactions;
  private final Tables t;
  private final JsonCodec codec;

  JdbcEventLog(Transactions transactions, Tables tables, JsonCodec codec) {
    this.transactions = transactions;
    this.t = tables;
    this.codec = codec;
  }

  @Override
  public void append(Event event) {
    Objects.requireNonNull(event, "event == null");
    JdbcCheckpointStore.checkAppId(event.appId());
    JdbcCheckpointStore.checkText("runId", event.runId(), JdbcCheckpointStore.MAX_ID_LENGTH);
    String payload = codec.toJson(event);
    transactions.inTransaction("appending event " + event.seq() + " of run " + event.runId(), c -> {
      appendIn(c, event, payload);
      return null;
    });
  }

  private void appendIn(Connection c, Event event, String payload) throws SQLException {
    long last = 0;
    boolean known = false;
    try (PreparedStatement s = c.prepareStatement(
        "SELECT last_seq FROM " + t.runs + " WHERE app_id = ? AND run_id = ? FOR UPDATE")) {
      s.setString(1, event.appId());
      s.setString(2, event.runId());
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          known = true;
          last = rs.getLong(1);
        }
      }
    }
    if (event.seq() != last + 1) {
      throw new InvalidArgumentException("event seq " + event.seq() + " of run " + event.runId()
          + " is not the next one (" + (last + 1) + ")");
    }
    if (known) {
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE " + t.runs + " SET last_seq = ? WHERE app_id = ? AND run_id = ?")) {
        s.setLong(1, event.seq());
        s.setString(2, event.appId());
        s.setString(3, event.runId());
        s.executeUpdate();
      }
    } else {
      try (PreparedStatement s = c.prepareStatement(
          "INSERT INTO " + t.runs + " (app_id, run_id, last_seq) VALUES (?, ?, ?)")) {
        s.setString(1, event.appId());
        s.setString(2, event.runId());
        s.setLong(3, event.seq());
        s.executeUpdate();
      } catch (SQLException e) {
        if (Transactions.isDuplicateKey(e)) {
          throw new InvalidArgumentException("event seq " + event.seq() + " of run " + event.runId()
              + " was appended by another writer");
        }
        throw e;
      }
    }
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO " + t.events + " (app_id, run_id, seq, event_type, payload) VALUES (?, ?, ?, ?, ?)")) {
      s.setString(1, event.appId());
      s.setString(2, event.runId());
      s.setLong(3, event.seq());
      s.setString(4, event.type());
      s.setString(5, payload);
      s.executeUpdate();
    }
  }

  @Override
  public List<Event> read(String appId, String runId, long afterSeq) {
    Objects.requireNonNull(appId, "appId == null");
    Objects.requireNonNull(runId, "runId == null");
    return transactions.read("reading events of run " + runId, c -> {
      List<Event> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT payload FROM " + t.events
          + " WHERE app_id = ? AND run_id = ? AND seq > ? ORDER BY seq")) {
        s.setString(1, appId);
        s.setString(2, runId);
        s.setLong(3, afterSeq);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(codec.eventFromJson(rs.getString(1)));
          }
        }
      }
      return out;
    });
  }

  @Override
  public List<String> runIds(String appId, int limit) {
    Objects.requireNonNull(appId, "appId == null");
    if (limit < 0) {
      throw new InvalidArgumentException("limit < 0");
    }
    if (limit == 0) {
      return List.of();
    }
    return transactions.read("listing runs of app " + appId, c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(
          "SELECT run_id FROM " + t.runs + " WHERE app_id = ? ORDER BY ordinal DESC LIMIT ?")) {
        s.setString(1, appId);
        s.setInt(2, limit);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }
}
