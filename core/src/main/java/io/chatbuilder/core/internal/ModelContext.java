package io.chatbuilder.core.internal;

import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ToolCall;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The conversation a run sends to the model, maintained step by step (issue 19, B9): loaded from the
 * store once when the run starts (so a restarted or new host rebuilds it from the store), then every
 * message the run appends is added here too. {@link #messages()} always equals
 * {@code ContextBudget.fit(Conversations.repaired(loaded + appended), maxChars)} — what rebuilding the
 * whole conversation every step gave — but a step costs what it appended, not the conversation's
 * length: sizes are kept per message, shortened tool outputs stay shortened (both rules only ever
 * shorten more as a run's conversation grows), and the repair of the loaded part is reused while the
 * appended part is self-contained. Anything else (a call id seen before, an unanswered call) falls
 * back to one full rebuild. {@code ModelContextTest} pins the equality. Not thread-safe: one run's
 * thread. Not API.
 */
final class ModelContext {
  private final int maxChars;

  /** The conversation as stored: loaded, then appended. */
  private final List<ChatMessage> raw = new ArrayList<>();

  // The repaired conversation is repaired(raw[0, baseEnd)) followed by raw[baseEnd, ...) while the
  // suffix is self-contained: its calls and results answer each other, and none of its call ids
  // occurs in the base (Conversations.repaired decides by call id over the whole conversation).
  private int baseEnd;
  private final Set<String> baseIds = new HashSet<>();
  private final Set<String> suffixAsked = new HashSet<>();
  private final Set<String> suffixAnswered = new HashSet<>();
  /** Calls of the suffix without a result, and results of the suffix without a call. */
  private final Set<String> suffixOpen = new HashSet<>();
  private boolean rebuild;

  /** The repaired conversation, older tool outputs replaced by their shortened form once shortened. */
  private final List<ChatMessage> effective = new ArrayList<>();
  private long rawTotal;
  private long effectiveTotal;
  /** Index of the latest assistant message, or the size when there is none (ContextBudget's protectFrom). */
  private int lastAssistant = -1;
  /** Where shortening resumes: every eligible output before it is shortened. */
  private int cursor;
  /** Exchange starts: 0 and the index of every user message; and each exchange's effective size. */
  private final List<Integer> cuts = new ArrayList<>();
  private long[] cutSizes = new long[16];
  private int lastUser = -1;

  ModelContext(List<ChatMessage> loaded, int maxChars) {
    this.maxChars = maxChars;
    raw.addAll(loaded);
    rebase();
  }

  /** Adds messages the run appended to the stored conversation (after them, in order). */
  void append(List<ChatMessage> messages) {
    for (ChatMessage m : messages) {
      raw.add(m);
      if (rebuild) {
        continue; // the next messages() rebuilds from raw
      }
      if (m instanceof ChatMessage.Assistant a) {
        for (ToolCall c : a.toolCalls()) {
          track(c.id(), suffixAsked, suffixAnswered);
        }
      } else if (m instanceof ChatMessage.ToolResult r) {
        if (raw.size() - 1 == baseEnd) {
          rebuild = true; // a result right after the base may belong to the base's last call
          continue;
        }
        track(r.callId(), suffixAnswered, suffixAsked);
      }
      add(m);
    }
  }

  private void track(String id, Set<String> side, Set<String> other) {
    if (baseIds.contains(id) || !side.add(id)) {
      rebuild = true; // an id seen before: only the whole conversation decides
      return;
    }
    if (!suffixOpen.remove(id) && !other.contains(id)) {
      suffixOpen.add(id);
    }
  }

  /** The conversation for the next model request, within the budget. */
  List<ChatMessage> messages() {
    if (rebuild || !suffixOpen.isEmpty()) {
      rebase();
    }
    if (rawTotal <= maxChars) {
      return List.copyOf(effective);
    }
    int protectFrom = lastAssistant >= 0 ? lastAssistant : effective.size();
    for (; cursor < protectFrom && effectiveTotal > maxChars; cursor++) {
      if (effective.get(cursor) instanceof ChatMessage.ToolResult r && ContextBudget.shortens(r)) {
        ChatMessage.ToolResult shortened = ContextBudget.shortened(r);
        long saved = r.content().length() - shortened.content().length();
        effective.set(cursor, shortened);
        cutSizes[exchangeOf(cursor)] -= saved;
        effectiveTotal -= saved;
      }
    }
    // Drops the oldest whole exchanges, never the one of the latest user message.
    long total = effectiveTotal;
    int lastUserIndex = lastUser >= 0 ? lastUser : effective.size();
    int k = 0;
    while (total > maxChars && k + 1 < cuts.size() && cuts.get(k + 1) < lastUserIndex) {
      total -= cutSizes[k];
      k++;
    }
    return List.copyOf(effective.subList(cuts.get(k), effective.size()));
  }

  /** The raw conversation (loaded and appended), as the store holds it. */
  List<ChatMessage> stored() {
    return Collections.unmodifiableList(raw);
  }

  /** Rebuilds everything from the raw conversation: its repair becomes the new base. */
  private void rebase() {
    baseEnd = raw.size();
    baseIds.clear();
    suffixAsked.clear();
    suffixAnswered.clear();
    suffixOpen.clear();
    rebuild = false;
    for (ChatMessage m : raw) {
      if (m instanceof ChatMessage.Assistant a) {
        a.toolCalls().forEach(c -> baseIds.add(c.id()));
      } else if (m instanceof ChatMessage.ToolResult r) {
        baseIds.add(r.callId());
      }
    }
    effective.clear();
    rawTotal = 0;
    effectiveTotal = 0;
    lastAssistant = -1;
    cursor = 0;
    cuts.clear();
    lastUser = -1;
    for (ChatMessage m : Conversations.repaired(raw)) {
      add(m);
    }
  }

  private void add(ChatMessage m) {
    int index = effective.size();
    long size = ContextBudget.size(m);
    effective.add(m);
    rawTotal += size;
    effectiveTotal += size;
    if (m instanceof ChatMessage.Assistant) {
      lastAssistant = index;
    } else if (m instanceof ChatMessage.User) {
      lastUser = index;
      if (index > 0) {
        newCut(index);
      }
    }
    if (cuts.isEmpty()) {
      newCut(0);
    }
    cutSizes[cuts.size() - 1] += size;
  }

  private void newCut(int index) {
    if (cuts.size() == cutSizes.length) {
      cutSizes = Arrays.copyOf(cutSizes, cutSizes.length * 2);
    }
    cutSizes[cuts.size()] = 0;
    cuts.add(index);
  }

  /** The exchange that holds message {@code index}. */
  private int exchangeOf(int index) {
    int found = Collections.binarySearch(cuts, index);
    return found >= 0 ? found : -found - 2;
  }
}
