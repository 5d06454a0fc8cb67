package io.chatbuilder.core.conversation;

import io.chatbuilder.core.model.ChatMessage;
import java.util.List;

/**
 * Keeps each app's conversation so the next chat continues with context and a reloaded UI shows it.
 * In memory here; {@code store-jdbc} persists it. Thread-safe.
 */
public interface ConversationStore {

  /** The app's messages in order; empty for a new app. */
  List<ChatMessage> load(String appId);

  /** Appends messages at the end. */
  void append(String appId, List<ChatMessage> messages);

  /** Keeps only the first {@code length} messages (used to rewind with a restore). */
  void truncate(String appId, int length);

  /** The number of messages. */
  default int size(String appId) {
    return load(appId).size();
  }
}
