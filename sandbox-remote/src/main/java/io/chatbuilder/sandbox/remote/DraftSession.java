package io.chatbuilder.sandbox.remote;

import io.chatbuilder.core.ChatBuilderException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The server's view of one sandbox's draft dev server: whether a start is in progress, how the last
 * start failed, and its progress messages (numbered and bounded) for clients that poll.
 */
final class DraftSession {
  private static final int MAX_MESSAGES = 500;

  private final ArrayDeque<String> messages = new ArrayDeque<>();
  private long total;
  private boolean starting;
  private ChatBuilderException startError;

  /** Marks a start as begun; false if one is already running. */
  synchronized boolean begin() {
    if (starting) {
      return false;
    }
    starting = true;
    startError = null;
    return true;
  }

  synchronized void end(ChatBuilderException error) {
    starting = false;
    startError = error;
  }

  synchronized boolean starting() {
    return starting;
  }

  synchronized Optional<ChatBuilderException> startError() {
    return Optional.ofNullable(startError);
  }

  synchronized void message(String message) {
    messages.addLast(message);
    total++;
    if (messages.size() > MAX_MESSAGES) {
      messages.removeFirst();
    }
  }

  /** Messages numbered above {@code after} still kept, and the number of the last one. */
  synchronized Messages after(long after) {
    long first = total - messages.size() + 1;
    List<String> out = new ArrayList<>();
    long n = first;
    for (String m : messages) {
      if (n > after) {
        out.add(m);
      }
      n++;
    }
    return new Messages(out, total);
  }

  record Messages(List<String> messages, long last) {}
}
