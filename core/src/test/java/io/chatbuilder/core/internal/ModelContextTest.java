package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.conversation.InMemoryConversationStore;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The maintained context must be exactly what rebuilding the whole conversation every step gives:
 * {@code ContextBudget.fit(Conversations.repaired(stored), budget)}, at every step and for a context
 * loaded again from the store (a restart, another host).
 */
class ModelContextTest {

  /** Rebuilds from scratch, as every step did before the context was maintained. */
  private static List<ChatMessage> rebuilt(List<ChatMessage> stored, int budget) {
    return ContextBudget.fit(Conversations.repaired(stored), budget);
  }

  private static ChatMessage.Assistant calling(String... ids) {
    List<ToolCall> calls = new ArrayList<>();
    for (String id : ids) {
      calls.add(new ToolCall(id, "read_file", "{\"path\":\"" + id + "\"}"));
    }
    return new ChatMessage.Assistant("", calls);
  }

  private static ChatMessage.ToolResult result(String id, int chars) {
    return new ChatMessage.ToolResult(id, "read_file", "r".repeat(chars), false);
  }

  /** Appends to the store and the context, as the run does, and checks the next request's messages. */
  private static void step(ConversationStore store, ModelContext context, String turn, List<ChatMessage> messages, int budget) {
    store.append("app", turn, messages);
    context.append(messages);
    assertThat(context.messages()).containsExactlyElementsOf(rebuilt(store.load("app"), budget));
  }

  @Test
  void aThousandStepRunEqualsAFullRebuildAtEveryStepAndAfterAReload() {
    int budget = 60_000;
    ConversationStore store = new InMemoryConversationStore();
    // Earlier runs: two exchanges, one cut short by a crash (a call without its result).
    store.append("app", "run-1", List.of(new ChatMessage.User("first"), calling("a1"), result("a1", 5_000),
        new ChatMessage.Assistant("done", List.of())));
    store.append("app", "run-2", List.of(new ChatMessage.User("second"), calling("b1", "b2"), result("b1", 900)));
    store.append("app", "run-3", List.of(new ChatMessage.User("third")));
    ModelContext context = new ModelContext(store.load("app"), budget);
    assertThat(context.messages()).containsExactlyElementsOf(rebuilt(store.load("app"), budget));
    Random random = new Random(19);
    int shortenedSeen = 0;
    for (int k = 0; k < 1_000; k++) {
      String id = "c" + k;
      int size = random.nextInt(4) == 0 ? 50 : 200 + random.nextInt(1_500);
      step(store, context, "run-3", List.of(calling(id)), budget);
      step(store, context, "run-3", List.of(result(id, size)), budget);
      if (k % 97 == 0) {
        step(store, context, "run-3", List.of(new ChatMessage.Note("note " + k)), budget);
      }
      shortenedSeen = (int) context.messages().stream()
          .filter(m -> m instanceof ChatMessage.ToolResult r && r.content().contains("shortened")).count();
    }
    assertThat(shortenedSeen).as("the budget was exceeded, so older outputs were shortened").isGreaterThan(100);
    List<ChatMessage> before = context.messages();
    assertThat(before).isNotEqualTo(store.load("app")); // the test reached the budget rules
    // Restart or handover: the next run's context is built from what the store holds.
    store.append("app", "run-4", List.of(new ChatMessage.User("fourth")));
    ModelContext reloaded = new ModelContext(store.load("app"), budget);
    assertThat(reloaded.messages()).containsExactlyElementsOf(rebuilt(store.load("app"), budget));
    step(store, reloaded, "run-4", List.of(calling("d1")), budget);
    step(store, reloaded, "run-4", List.of(result("d1", 3_000)), budget);
  }

  @Test
  void underBudgetTheContextIsTheStoredConversation() {
    ConversationStore store = new InMemoryConversationStore();
    store.append("app", "run", List.of(new ChatMessage.User("hi")));
    ModelContext context = new ModelContext(store.load("app"), 1_000_000);
    for (int k = 0; k < 50; k++) {
      step(store, context, "run", List.of(calling("c" + k), result("c" + k, 1_000)), 1_000_000);
    }
    assertThat(context.messages()).containsExactlyElementsOf(store.load("app"));
  }

  @Test
  void whenTheRunCannotFitOldExchangesAreDroppedAsTheRebuildDropsThem() {
    int budget = 20_000;
    ConversationStore store = new InMemoryConversationStore();
    for (int r = 0; r < 6; r++) {
      // calls' arguments are never shortened: only dropping whole exchanges helps
      store.append("app", "old-" + r, List.of(new ChatMessage.User("old " + r),
          new ChatMessage.Assistant("", List.of(new ToolCall("o" + r, "write_file", "w".repeat(4_000)))), result("o" + r, 10)));
    }
    store.append("app", "run", List.of(new ChatMessage.User("now")));
    ModelContext context = new ModelContext(store.load("app"), budget);
    assertThat(context.messages()).containsExactlyElementsOf(rebuilt(store.load("app"), budget));
    for (int k = 0; k < 40; k++) {
      step(store, context, "run", List.of(calling("n" + k)), budget);
      step(store, context, "run", List.of(result("n" + k, 2_000)), budget);
    }
    assertThat(context.messages().get(0)).as("older exchanges were dropped").isEqualTo(new ChatMessage.User("old 5"));
  }

  @Test
  void callIdsSeenBeforeAndUnansweredCallsFallBackToTheFullRebuild() {
    int budget = 5_000;
    ConversationStore store = new InMemoryConversationStore();
    // An orphan result (its call was cut by a rewind) and a call without a result.
    store.append("app", "old", List.of(new ChatMessage.User("old"), result("x", 700), calling("y")));
    store.append("app", "run", List.of(new ChatMessage.User("now")));
    ModelContext context = new ModelContext(store.load("app"), budget);
    assertThat(context.messages()).containsExactlyElementsOf(rebuilt(store.load("app"), budget));
    // A model that reuses ids: x now has a call (the orphan result is kept), y gets a late result.
    step(store, context, "run", List.of(calling("x")), budget);
    step(store, context, "run", List.of(result("x", 800)), budget);
    step(store, context, "run", List.of(result("y", 900)), budget);
    step(store, context, "run", List.of(calling("z", "z")), budget);
    step(store, context, "run", List.of(result("z", 10)), budget);
    // Unanswered calls at request time get their error result, as in the rebuild.
    step(store, context, "run", List.of(calling("u1", "u2"), result("u1", 600)), budget);
    step(store, context, "run", List.of(result("u2", 600)), budget);
    for (int k = 0; k < 30; k++) {
      step(store, context, "run", List.of(calling("k" + k), result("k" + k, 500)), budget);
    }
  }
}
