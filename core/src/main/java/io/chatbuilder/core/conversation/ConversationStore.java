package io.chatbuilder.core.conversation;

import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.model.ChatMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Keeps each app's conversation so the next chat continues with context and a reloaded UI shows it.
 * In memory here; {@code store-jdbc} persists it. Thread-safe.
 *
 * <p>Every message belongs to a <em>turn</em>: the run (or history operation) that appended it. A
 * conversation is read turn by turn: each turn's messages stay together in append order, and turns
 * come in the order of their first message. So a late append to an earlier turn (the results a
 * dead host's run never wrote, added by the host that recovers it) lands right after that turn's
 * tool calls, and two writers can never interleave their turns.
 */
public interface ConversationStore {

  /** The longest turn id stores must keep. */
  int MAX_TURN_ID_LENGTH = 100;

  /** The app's messages, turn by turn; empty for a new app. */
  List<ChatMessage> load(String appId);

  /**
   * Appends messages at the end of the turn {@code turnId} (a run id, or the id of the history
   * operation that wrote a note); a new turn starts after every existing one.
   */
  void append(String appId, String turnId, List<ChatMessage> messages);

  /** Keeps only the first {@code length} messages in {@link #load} order (used to rewind with a restore). */
  void truncate(String appId, int length);

  /** The number of messages. */
  default int size(String appId) {
    return load(appId).size();
  }

  /** @throws InvalidArgumentException unless the turn id is 1-100 characters and not blank */
  static void checkTurnId(String turnId) {
    Objects.requireNonNull(turnId, "turnId == null");
    if (turnId.isBlank() || turnId.length() > MAX_TURN_ID_LENGTH) {
      throw new InvalidArgumentException("turn id must be 1-" + MAX_TURN_ID_LENGTH + " characters and not blank");
    }
  }

  /**
   * Puts rows stored in append order into turn order (the one rule every store follows): a row
   * whose turn is {@code null} (written before turns existed) is a turn of its own.
   */
  static <T> List<T> inTurnOrder(List<T> appendOrder, Function<T, String> turnOf) {
    Map<Object, List<T>> turns = new LinkedHashMap<>();
    boolean grouped = true;
    Object last = null;
    for (T row : appendOrder) {
      String turn = turnOf.apply(row);
      Object key = turn != null ? turn : new Object();
      List<T> rows = turns.get(key);
      if (rows == null) {
        turns.put(key, rows = new ArrayList<>());
      } else if (!key.equals(last)) {
        grouped = false;
      }
      rows.add(row);
      last = key;
    }
    if (grouped) {
      return appendOrder;
    }
    List<T> out = new ArrayList<>(appendOrder.size());
    turns.values().forEach(out::addAll);
    return out;
  }
}
