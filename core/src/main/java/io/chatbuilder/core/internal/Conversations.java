package io.chatbuilder.core.internal;

import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ToolCall;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Keeps a conversation valid for providers. Not API. */
public final class Conversations {
  private Conversations() {}

  /**
   * Adds an error result right after any assistant tool call that has none (a crash, a rewind that
   * cut between a call and its result), and drops results whose call is gone: providers reject
   * both, which would wedge the app forever.
   */
  public static List<ChatMessage> repaired(List<ChatMessage> messages) {
    Set<String> answered = new HashSet<>();
    Set<String> asked = new HashSet<>();
    for (ChatMessage m : messages) {
      if (m instanceof ChatMessage.ToolResult r) {
        answered.add(r.callId());
      } else if (m instanceof ChatMessage.Assistant a) {
        a.toolCalls().forEach(c -> asked.add(c.id()));
      }
    }
    boolean intact = answered.equals(asked);
    if (intact) {
      return messages;
    }
    List<ChatMessage> out = new ArrayList<>(messages.size() + 4);
    for (int i = 0; i < messages.size(); i++) {
      ChatMessage m = messages.get(i);
      if (m instanceof ChatMessage.ToolResult r && !asked.contains(r.callId())) {
        continue;
      }
      out.add(m);
      if (m instanceof ChatMessage.Assistant a && !a.toolCalls().isEmpty()) {
        // results of this turn follow it directly; add the missing ones after them
        int j = i + 1;
        while (j < messages.size() && messages.get(j) instanceof ChatMessage.ToolResult) {
          out.add(messages.get(j));
          j++;
        }
        for (ToolCall c : a.toolCalls()) {
          if (!answered.contains(c.id())) {
            out.add(new ChatMessage.ToolResult(c.id(), c.name(), "Error: no result was recorded for this call.", true));
          }
        }
        i = j - 1;
      }
    }
    return out;
  }
}
