package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatMessage;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A {@link ConversationStore} on JDBC: one row per message (its JSON wire form and its turn) in
 * append order, read back in turn order ({@link ConversationStore#inTurnOrder}), and a per-app row
 * holding the next message index, locked by every change so concurrent appends never collide.
 * Appends are retried when the connection is lost: a retry that finds its messages already at the
 * position its first attempt saw returns without appending them again. (Another writer appending
 * the very same messages at that position in between would be taken for them; apps have one
 * writer at a time, under their lease.)
 */
final class JdbcConversationStore implements ConversationStore {
  private final Transactions transactions;
  private final Tables t;
  private final JsonCodec codec;

  JdbcConversationStore(Transactions transactions, Tables tables, JsonCodec codec) {
    this.transactions = transactions;
    this.t = tables;
    this.codec = codec;
  }

  @Override
  public List<ChatMessage> load(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    return transactions.read("loading the conversation of app " + appId, c -> {
      List<ChatMessage> out = new ArrayList<>();
      for (Row row : rows(c, appId, true)) {
        out.add(codec.messageFromJson(row.payload()));
      }
      return out;
    });
  }

  @Override
  public void append(String appId, String turnId, List<ChatMessage> messages) {
    JdbcCheckpointStore.checkAppId(appId);
    ConversationStore.checkTurnId(turnId);
    Objects.requireNonNull(messages, "messages == null");
    List<String> payloads = new ArrayList<>();
    for (ChatMessage message : messages) {
      payloads.add(codec.toJson(Objects.requireNonNull(message, "message == null")));
    }
    if (payloads.isEmpty()) {
      return;
    }
    // The position the first attempt saw: a retry that finds these very messages there knows its
    // earlier commit landed unseen (lost acknowledgement) and does not append them twice.
    int[] position = {-1};
    transactions.inIdempotentTransaction("appending to the conversation of app " + appId, c -> {
      int count = lockCount(c, appId);
      if (position[0] < 0) {
        position[0] = count;
      } else if (count >= position[0] + payloads.size() && storedAt(c, appId, position[0], payloads)) {
        return null;
      }
      try (PreparedStatement s = c.prepareStatement(
          "INSERT INTO " + t.messages + " (app_id, msg_index, payload, turn_id) VALUES (?, ?, ?, ?)")) {
        for (int i = 0; i < payloads.size(); i++) {
          s.setString(1, appId);
          s.setInt(2, count + i);
          s.setString(3, payloads.get(i));
          s.setString(4, turnId);
          s.addBatch();
        }
        s.executeBatch();
      }
      setCount(c, appId, count + payloads.size());
      return null;
    });
  }

  @Override
  public void truncate(String appId, int length) {
    Objects.requireNonNull(appId, "appId == null");
    if (length < 0) {
      throw new InvalidArgumentException("length < 0");
    }
    transactions.inIdempotentTransaction("truncating the conversation of app " + appId, c -> {
      lockCount(c, appId);
      List<Row> ordered = rows(c, appId, false);
      if (length < ordered.size()) {
        try (PreparedStatement s = c.prepareStatement(
            "DELETE FROM " + t.messages + " WHERE app_id = ? AND msg_index = ?")) {
          for (Row row : ordered.subList(length, ordered.size())) {
            s.setString(1, appId);
            s.setInt(2, row.index());
            s.addBatch();
          }
          s.executeBatch();
        }
      }
      return null;
    });
  }

  @Override
  public int size(String appId) {
    Objects.requireNonNull(appId, "appId == null");
    return transactions.read("counting the conversation of app " + appId, c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM " + t.messages + " WHERE app_id = ?")) {
        s.setString(1, appId);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? rs.getInt(1) : 0;
        }
      }
    });
  }

  private record Row(int index, String turnId, String payload) {}

  /** The app's rows in turn order; payloads only when asked for. */
  private List<Row> rows(Connection c, String appId, boolean payloads) throws SQLException {
    List<Row> appendOrder = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement("SELECT msg_index, turn_id" + (payloads ? ", payload" : "")
        + " FROM " + t.messages + " WHERE app_id = ? ORDER BY msg_index")) {
      s.setString(1, appId);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          appendOrder.add(new Row(rs.getInt(1), rs.getString(2), payloads ? rs.getString(3) : null));
        }
      }
    }
    return ConversationStore.inTurnOrder(appendOrder, Row::turnId);
  }

  /** Whether the messages from {@code index} on start with exactly {@code payloads}. */
  private boolean storedAt(Connection c, String appId, int index, List<String> payloads) throws SQLException {
    List<String> found = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement("SELECT payload FROM " + t.messages
        + " WHERE app_id = ? AND msg_index >= ? AND msg_index < ? ORDER BY msg_index")) {
      s.setString(1, appId);
      s.setInt(2, index);
      s.setInt(3, index + payloads.size());
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
    }
    return found.equals(payloads);
  }

  /**
   * Locks the app's count row (creating it at 0) and returns the next message index (the number of
   * messages ever appended: a truncation leaves it, so indices never repeat).
   */
  private int lockCount(Connection c, String appId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "SELECT msg_count FROM " + t.conversations + " WHERE app_id = ? FOR UPDATE")) {
      s.setString(1, appId);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) {
          return rs.getInt(1);
        }
      }
    }
    try (PreparedStatement s = c.prepareStatement(
        "INSERT INTO " + t.conversations + " (app_id, msg_count) VALUES (?, 0)")) {
      s.setString(1, appId);
      s.executeUpdate();
    } catch (SQLException e) {
      if (Transactions.isDuplicateKey(e)) {
        throw new Transactions.Retry("another writer created the conversation of app " + appId, e);
      }
      throw e;
    }
    return 0;
  }

  private void setCount(Connection c, String appId, int count) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(
        "UPDATE " + t.conversations + " SET msg_count = ? WHERE app_id = ?")) {
      s.setInt(1, count);
      s.setString(2, appId);
      s.executeUpdate();
    }
  }
}
