package io.chatbuilder.core.conversation;

import io.chatbuilder.core.model.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** A {@link ConversationStore} in memory; lost when the JVM exits. */
public final class InMemoryConversationStore implements ConversationStore {
  private final Map<String, List<ChatMessage>> conversations = new ConcurrentHashMap<>();

  @Override
  public List<ChatMessage> load(String appId) {
    List<ChatMessage> messages = conversations.get(Objects.requireNonNull(appId, "appId == null"));
    if (messages == null) {
      return List.of();
    }
    synchronized (messages) {
      return List.copyOf(messages);
    }
  }

  @Override
  public void append(String appId, List<ChatMessage> messages) {
    List<ChatMessage> copy = List.copyOf(messages);
    List<ChatMessage> list = conversations.computeIfAbsent(Objects.requireNonNull(appId, "appId == null"), k -> new ArrayList<>());
    synchronized (list) {
      list.addAll(copy);
    }
  }

  @Override
  public void truncate(String appId, int length) {
    if (length < 0) {
      throw new IllegalArgumentException("length < 0");
    }
    List<ChatMessage> list = conversations.get(appId);
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
    List<ChatMessage> list = conversations.get(appId);
    if (list == null) {
      return 0;
    }
    synchronized (list) {
      return list.size();
    }
  }
}
