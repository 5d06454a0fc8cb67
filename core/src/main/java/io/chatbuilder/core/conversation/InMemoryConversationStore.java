package io.chatbuilder.core.conversation;

import io.chatbuilder.core.model.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link ConversationStore} in memory, kept in turn order; lost when the JVM exits. */
public final class InMemoryConversationStore implements ConversationStore {
  private record Entry(String turnId, ChatMessage message) {}

  private final Map<String, List<Entry>> conversations = new ConcurrentHashMap<>();

  @Override
  public List<ChatMessage> load(String appId) {
    List<Entry> entries = conversations.get(Objects.requireNonNull(appId, "appId == null"));
    if (entries == null) {
      return List.of();
    }
    synchronized (entries) {
      return entries.stream().map(Entry::message).toList();
    }
  }

  @Override
  public void append(String appId, String turnId, List<ChatMessage> messages) {
    Objects.requireNonNull(appId, "appId == null");
    ConversationStore.checkTurnId(turnId);
    List<ChatMessage> copy = List.copyOf(messages);
    List<Entry> list = conversations.computeIfAbsent(appId, k -> new ArrayList<>());
    synchronized (list) {
      int at = list.size();
      for (int i = list.size() - 1; i >= 0; i--) {
        if (list.get(i).turnId().equals(turnId)) {
          at = i + 1; // right after the turn's last message
          break;
        }
      }
      List<Entry> added = new ArrayList<>(copy.size());
      copy.forEach(m -> added.add(new Entry(turnId, m)));
      list.addAll(at, added);
    }
  }

  @Override
  public void truncate(String appId, int length) {
    if (length < 0) {
      throw new IllegalArgumentException("length < 0");
    }
    List<Entry> list = conversations.get(appId);
    if (list != null) {
      synchronized (list) {
        if (length < list.size()) {
          list.subList(length, list.size()).clear();
        }
      }
    }
  }

  @Override
  public int size(String appId) {
    List<Entry> list = conversations.get(appId);
    if (list == null) {
      return 0;
    }
    synchronized (list) {
      return list.size();
    }
  }
}
