package io.chatbuilder.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.conversation.InMemoryConversationStore;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ModelRequest;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.testing.ScriptedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Every request of real runs carries what rebuilding the whole stored conversation gives, over many
 * steps past the budget, and on a second host that takes over the app (its context comes from the store).
 */
class ModelContextAgentLoopTest {
  private static final int BUDGET = 4_000;
  private static final int CALLS = 150;

  @Test
  void everyRequestEqualsAFullRebuildAcrossRunsAndHosts() {
    InMemoryConversationStore conversations = new InMemoryConversationStore();
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    InMemorySandbox sandbox = InMemorySandbox.builder("app").file("big.txt", "b".repeat(1_500) + "\n").build();
    List<String> mismatches = new ArrayList<>();
    AtomicInteger requests = new AtomicInteger();
    AtomicInteger ids = new AtomicInteger();
    ScriptedModel model = ScriptedModel.responding(request -> {
      int n = requests.incrementAndGet();
      List<ChatMessage> expected = ContextBudget.fit(Conversations.repaired(conversations.load("app")), BUDGET);
      if (!request.messages().equals(expected)) {
        mismatches.add("request " + n);
      }
      if (request.messages().get(request.messages().size() - 1) instanceof ChatMessage.ToolResult && lastCalls(request) >= CALLS) {
        return Optional.of(ScriptedModel.Turn.builder().text("Done.").build());
      }
      return Optional.of(ScriptedModel.Turn.builder()
          .toolCall("call_" + ids.incrementAndGet(), "read_file", "{\"path\":\"big.txt\"}").build());
    });
    for (String host : List.of("host-a", "host-b")) {
      try (ChatBuilder cb = ChatBuilder.builder().model(model).sandboxes(id -> sandbox).checkpointStore(store)
          .conversationStore(conversations).contextBudgetChars(BUDGET).maxSteps(CALLS + 5).hostId(host).build()) {
        RunResult result = cb.chat("app", "read it again and again").completion().join();
        assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
        assertThat(result.toolSummary()).containsEntry("read_file", CALLS);
      }
    }
    assertThat(requests).hasValue(2 * (CALLS + 1));
    assertThat(mismatches).isEmpty();
    assertThat(ContextBudget.size(conversations.load("app"))).as("the runs went far past the budget").isGreaterThan(50L * BUDGET);
  }

  /** Tool results since the request's latest user message. */
  private static int lastCalls(ModelRequest request) {
    int n = 0;
    for (int i = request.messages().size() - 1; i >= 0 && !(request.messages().get(i) instanceof ChatMessage.User); i--) {
      if (request.messages().get(i) instanceof ChatMessage.ToolResult) {
        n++;
      }
    }
    return n;
  }
}
