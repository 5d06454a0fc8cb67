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
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An {@link EventLog} on JDBC: each event as its JSON wire form, keyed by app, run and seq. The run
 * row is locked while appending, so seqs stay gapless across hosts. Appends are idempotent (an
 * event already stored at its seq, the same to the byte, is accepted), so they are retried even when
 * the connection is lost around the commit.
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
    appendAll(List.of(Objects.requireNonNull(event, "event == null")));
  }

  /**
   * One transaction for the whole list (one batch insert per run). Idempotent: events already
   * stored (same JSON at the same seq) are skipped, so the transaction is retried even when the connection
   * is lost around its commit.
   */
  @Override
  public void appendAll(List<Event> events) {
    Objects.requireNonNull(events, "events == null");
    if (events.isEmpty()) {
      return;
    }
    Map<List<String>, List<Event>> byRun = new LinkedHashMap<>();
    Map<Event, String> payloads = new IdentityHashMap<>();
    for (Event event : events) {
      Objects.requireNonNull(event, "event == null");
      JdbcCheckpointStore.checkAppId(event.appId());
      JdbcCheckpointStore.checkText("runId", event.runId(), JdbcCheckpointStore.MAX_ID_LENGTH);
      byRun.computeIfAbsent(List.of(event.appId(), event.runId()), k -> new ArrayList<>()).add(event);
      payloads.put(event, codec.toJson(event));
    }
    Event first = events.get(0);
    String what = events.size() == 1 ? "appending event " + first.seq() + " of run " + first.runId()
        : "appending " + events.size() + " events of run " + first.runId() + (byRun.size() > 1 ? " and others" : "");
    transactions.inIdempotentTransaction(what, c -> {
      for (List<Event> run : byRun.values()) {
        appendIn(c, run, payloads);
      }
      return null;
    });
  }

  private void appendIn(Connection c, List<Event> events, Map<Event, String> payloads) throws SQLException {
    String appId = events.get(0).appId();
    String runId = events.get(0).runId();
    long last = 0;
    boolean known = false;
    try (PreparedStatement s = c.prepareStatement(
        "SELECT last_seq FROM " + t.runs + " WHERE app_id = ? AND run_id = ? FOR UPDATE")) {
      s.setString(1, appId);
      s.setString(2, runId);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          known = true;
          last = rs.getLong(1);
        }
      }
    }
    List<Event> stored = new ArrayList<>();
    List<Event> fresh = new ArrayList<>();
    long next = last + 1;
    for (Event event : events) {
      if (event.seq() >= 1 && event.seq() <= last) {
        stored.add(event);
      } else if (event.seq() == next) {
        fresh.add(event);
        next++;
      } else {
        throw new InvalidArgumentException("event seq " + event.seq() + " of run " + runId
            + " is not the next one (" + next + ")");
      }
    }
    checkSame(c, appId, runId, stored, payloads);
    if (fresh.isEmpty()) {
      return; // all of it landed before (a retry after a lost acknowledgement)
    }
    if (known) {
      try (PreparedStatement s = c.prepareStatement(
          "UPDATE " + t.runs + " SET last_seq = ? WHERE app_id = ? AND run_id = ?")) {
        s.setLong(1, next - 1);
        s.setString(2, appId);
        s.setString(3, runId);
        s.executeUpdate();
      }
    } else {
      try (PreparedStatement s = c.prepareStatement(
          "INSERT INTO " + t.runs + " (app_id, run_id, last_seq) VALUES (?, ?, ?)")) {
        s.setString(1, appId);
        s.setString(2, runId);
        s.setLong(3, next - 1);
        s.executeUpdate();
      } catch (SQLException e) {
        if (Transactions.isDuplicateKey(e)) {
          // Another writer began the run: run again and check its events against ours.
          throw new Transactions.Retry("another writer appended to run " + runId, e);
        }
        throw e;
      }
    }
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO " + t.events + " (app_id, run_id, seq, event_type, payload) VALUES (?, ?, ?, ?, ?)")) {
      for (Event event : fresh) {
        s.setString(1, appId);
        s.setString(2, runId);
        s.setLong(3, event.seq());
        s.setString(4, event.type());
        s.setString(5, payloads.get(event));
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  /** Events at seqs already stored must be the very same ones (same JSON), or they are another writer's. */
  private void checkSame(Connection c, String appId, String runId, List<Event> events, Map<Event, String> payloads)
      throws SQLException {
    if (events.isEmpty()) {
      return;
    }
    Map<Long, String> stored = new java.util.HashMap<>();
    long min = events.stream().mapToLong(Event::seq).min().orElseThrow();
    long max = events.stream().mapToLong(Event::seq).max().orElseThrow();
    try (PreparedStatement s = c.prepareStatement("SELECT seq, payload FROM " + t.events
        + " WHERE app_id = ? AND run_id = ? AND seq >= ? AND seq <= ?")) {
      s.setString(1, appId);
      s.setString(2, runId);
      s.setLong(3, min);
      s.setLong(4, max);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          stored.put(rs.getLong(1), rs.getString(2));
        }
      }
    }
    for (Event event : events) {
      if (!payloads.get(event).equals(stored.get(event.seq()))) {
        throw new InvalidArgumentException("event seq " + event.seq() + " of run " + runId
            + " is already stored as a different event");
      }
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
