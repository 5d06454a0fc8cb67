package io.chatbuilder.core.internal;

import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ToolCall;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the conversation sent to the model within a size budget (in characters, a stable proxy
 * for tokens). First shortens tool outputs (they are re-readable), oldest first, except those of the
 * latest model turn; then drops the oldest whole exchanges (a user message and everything up to the
 * next one), never the latest. The
 * stored conversation is not changed. Not API.
 */
public final class ContextBudget {
  /** Tool outputs in the latest exchange are never shortened. */
  static final int KEEP_HEAD = 300;
  /**
   * What an image counts: providers bill a screenshot as about 1,500 tokens, some 6,000 characters
   * of text (its base64 is not what the model reads).
   */
  static final int IMAGE_CHARS = 6_000;

  private ContextBudget() {}

  public static List<ChatMessage> fit(List<ChatMessage> messages, int maxChars) {
    long total = size(messages);
    if (total <= maxChars) {
      return messages;
    }
    List<ChatMessage> out = new ArrayList<>(messages);
    // Results of the latest model turn are what the model is about to reason about: never shortened.
    int protectFrom = lastAssistantIndex(out);
    for (int i = 0; i < protectFrom && total > maxChars; i++) {
      if (out.get(i) instanceof ChatMessage.ToolResult r && shortens(r)) {
        ChatMessage.ToolResult shortened = shortened(r);
        total -= r.content().length() - shortened.content().length();
        out.set(i, shortened);
      }
    }
    while (total > maxChars) {
      int lastUserNow = lastUserIndex(out);
      int next = -1;
      for (int i = 1; i < lastUserNow; i++) {
        if (out.get(i) instanceof ChatMessage.User) {
          next = i;
          break;
        }
      }
      if (next <= 0) {
        break;
      }
      total -= size(out.subList(0, next));
      out = new ArrayList<>(out.subList(next, out.size()));
    }
    return out;
  }

  private static int lastAssistantIndex(List<ChatMessage> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i) instanceof ChatMessage.Assistant) {
        return i;
      }
    }
    return messages.size();
  }

  private static int lastUserIndex(List<ChatMessage> messages) {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if (messages.get(i) instanceof ChatMessage.User) {
        return i;
      }
    }
    return messages.size();
  }

  static long size(List<ChatMessage> messages) {
    long n = 0;
    for (ChatMessage m : messages) {
      n += size(m);
    }
    return n;
  }

  /** What one message counts against the budget. */
  static long size(ChatMessage m) {
    long n = 0;
    if (m instanceof ChatMessage.User u) {
      n += u.textWithContext().length() + (long) u.images().size() * IMAGE_CHARS;
    } else if (m instanceof ChatMessage.Assistant a) {
      n += a.text().length();
      for (ToolCall c : a.toolCalls()) {
        n += c.name().length() + c.arguments().length();
      }
    } else if (m instanceof ChatMessage.ToolResult r) {
      n += r.content().length();
    } else if (m instanceof ChatMessage.Note note) {
      n += note.text().length();
    }
    return n;
  }

  /** Whether an older tool output is long enough to be shortened when over budget. */
  static boolean shortens(ChatMessage.ToolResult r) {
    return r.content().length() > KEEP_HEAD + 100;
  }

  /** The shortened form of an older tool output (see {@link #shortens}). */
  static ChatMessage.ToolResult shortened(ChatMessage.ToolResult r) {
    String text = r.content().substring(0, KEEP_HEAD) + "\n… [older tool output shortened from "
        + r.content().length() + " characters to save context; run the tool again if you need it]";
    return new ChatMessage.ToolResult(r.callId(), r.toolName(), text, r.error());
  }
}
