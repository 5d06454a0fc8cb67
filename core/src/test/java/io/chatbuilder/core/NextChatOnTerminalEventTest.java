package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A terminal event means the app is free: a client that sends its next message the instant it sees
 * {@code run_completed} (from inside the event callback, the earliest moment possible) never gets
 * busy.
 */
class NextChatOnTerminalEventTest {
  private static final int RUNS = 1_000;

  @Test
  void theNextChatStartedOnTheTerminalEventIsNeverBusy() throws Exception {
    AtomicInteger turn = new AtomicInteger();
    ScriptedModel model = ScriptedModel.responding(request -> {
      List<ChatMessage> messages = request.messages();
      ChatMessage last = messages.get(messages.size() - 1);
      int n = turn.incrementAndGet();
      // Each run writes a file (so it ends with a checkpoint), then answers.
      return Optional.of(last instanceof ChatMessage.ToolResult
          ? ScriptedModel.Turn.builder().text("done").build()
          : ScriptedModel.Turn.builder().toolCall("write_file", "{\"path\":\"n.txt\",\"content\":\"" + n + "\"}").build());
    });
    InMemorySandbox sandbox = InMemorySandbox.builder("app").build();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    AtomicInteger completed = new AtomicInteger();
    CompletableFuture<Void> done = new CompletableFuture<>();
    try (ChatBuilder builder = ChatBuilder.builder().model(model).sandboxes(id -> sandbox).build()) {
      Runnable[] next = new Runnable[1];
      next[0] = () -> {
        RunHandle run = builder.chat("app", "change n.txt");
        run.subscribe(0, event -> {
          if (!event.terminal()) {
            return;
          }
          if (!(event instanceof Event.RunCompleted)) {
            failures.add(new AssertionError("run ended with " + event));
          }
          if (completed.incrementAndGet() == RUNS) {
            done.complete(null);
            return;
          }
          try {
            next[0].run();
          } catch (BusyException e) {
            failures.add(e);
            done.complete(null);
          } catch (RuntimeException e) {
            failures.add(e);
            done.complete(null);
          }
        });
      };
      next[0].run();
      done.get(5, TimeUnit.MINUTES);
      assertThat(failures).isEmpty();
      assertThat(completed).hasValue(RUNS);
      assertThat(builder.checkpoints("app", RUNS + 10)).hasSizeGreaterThanOrEqualTo(RUNS);
    }
  }
}
