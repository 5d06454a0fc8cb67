package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.core.checkpoint.InMemoryLeaseStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Two {@link ChatBuilder}s stand for two hosts sharing one store: the app's lease, not an in-JVM
 * lock, keeps their runs and history operations apart.
 */
class LeasesAcrossHostsTest {
  // Hosts sharing an app share all its stores: checkpoints (given per test), events, conversations.
  private final io.chatbuilder.core.event.InMemoryEventLog events = new io.chatbuilder.core.event.InMemoryEventLog();
  private final io.chatbuilder.core.conversation.InMemoryConversationStore conversations =
      new io.chatbuilder.core.conversation.InMemoryConversationStore();

  private ChatBuilder.Builder hosts() {
    return ChatBuilder.builder().eventLog(events).conversationStore(conversations);
  }

  /** A model whose first turn of each run writes {@code path}, waiting at {@code gate} first if given. */
  private static ScriptedModel writing(String path, CountDownLatch inModel, CountDownLatch gate) {
    return ScriptedModel.responding(request -> {
      List<ChatMessage> messages = request.messages();
      if (messages.get(messages.size() - 1) instanceof ChatMessage.ToolResult) {
        return Optional.of(ScriptedModel.Turn.builder().text("done").build());
      }
      if (inModel != null) {
        inModel.countDown();
      }
      if (gate != null) {
        try {
          gate.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Optional.of(ScriptedModel.Turn.builder()
          .toolCall("write_file", "{\"path\":\"" + path + "\",\"content\":\"" + System.nanoTime() + "\"}").build());
    });
  }

  @Test
  void whileOneHostRunsTheOtherIsBusyAtOnceForChatsAndHistoryOperations() throws Exception {
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    InMemorySandbox workspace = InMemorySandbox.builder("app").build();
    CountDownLatch inModel = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    try (ChatBuilder a = hosts().hostId("host-a").model(writing("a.txt", inModel, gate))
            .sandboxes(id -> workspace).checkpointStore(store).build();
        ChatBuilder b = hosts().hostId("host-b").model(writing("b.txt", null, null))
            .sandboxes(id -> workspace).checkpointStore(store).build()) {
      RunHandle run = a.chat("app", "write a");
      assertThat(inModel.await(30, TimeUnit.SECONDS)).isTrue();
      assertThat(store.current("app")).hasValueSatisfying(l -> assertThat(l.holder()).isEqualTo("host-a: run " + run.runId()));

      assertThatThrownBy(() -> b.chat("app", "write b")).isInstanceOf(BusyException.class)
          .hasMessageContaining("host-a: run " + run.runId());
      assertThatThrownBy(() -> b.undo("app")).isInstanceOf(BusyException.class).hasMessageContaining("host-a");
      assertThatThrownBy(() -> b.initialize("app")).isInstanceOf(BusyException.class);
      assertThat(b.activeRun("app")).isEmpty();
      assertThat(workspace.tryRead("b.txt")).isEmpty();

      gate.countDown();
      RunResult result = run.completion().get(30, TimeUnit.SECONDS);
      assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(store.current("app")).isEmpty();

      // Free again: the other host's chat and undo now go through, on the same workspace.
      RunResult second = b.chat("app", "write b").completion().get(30, TimeUnit.SECONDS);
      assertThat(second.outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(workspace.tryRead("b.txt")).isPresent();
      Checkpoint undo = a.undo("app");
      assertThat(undo.type()).isEqualTo(CheckpointType.UNDO);
      assertThat(workspace.tryRead("b.txt")).isEmpty();
      assertThat(workspace.tryRead("a.txt")).isPresent();
    }
  }

  @Test
  void aRunThatLosesItsLeaseStopsItsModelStreamFailsClearlyAndRecordsNoCheckpoint() throws Exception {
    AtomicLong nanos = new AtomicLong();
    InMemoryLeaseStore leases = new InMemoryLeaseStore(nanos::get, Clock.systemUTC());
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    CountDownLatch holding = new CountDownLatch(1);
    AtomicInteger turns = new AtomicInteger();
    // Host A writes a file, then its model streams until cancelled.
    ScriptedModel slow = ScriptedModel.responding(request -> {
      if (turns.incrementAndGet() == 1) {
        return Optional.of(ScriptedModel.Turn.builder().toolCall("write_file", "{\"path\":\"a.txt\",\"content\":\"a\"}").build());
      }
      holding.countDown();
      return Optional.of(ScriptedModel.Turn.builder().text("still thinking").holdUntilCancelled().build());
    });
    InMemorySandbox sandboxA = InMemorySandbox.builder("app").build();
    InMemorySandbox sandboxB = InMemorySandbox.builder("app").build();
    try (ChatBuilder a = hosts().hostId("host-a").model(slow).sandboxes(id -> sandboxA)
            .checkpointStore(store).leaseStore(leases).leaseTtl(Duration.ofMillis(300)).build();
        ChatBuilder b = hosts().hostId("host-b").model(writing("b.txt", null, null)).sandboxes(id -> sandboxB)
            .checkpointStore(store).leaseStore(leases).build()) {
      RunHandle run = a.chat("app", "write a, then think forever");
      assertThat(holding.await(30, TimeUnit.SECONDS)).as("%s", run.events()).isTrue();
      long tokenA = leases.current("app").orElseThrow().token();

      // Host A stalls past its lease (as in a long GC pause); host B takes the app over.
      nanos.addAndGet(Duration.ofHours(1).toNanos());
      RunResult byB = b.chat("app", "write b").completion().get(30, TimeUnit.SECONDS);
      assertThat(byB.outcome()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(byB.checkpoint()).isPresent();

      RunResult lost = run.completion().get(30, TimeUnit.SECONDS);
      assertThat(lost.outcome()).isEqualTo(RunOutcome.FAILED);
      assertThat(lost.errorCode()).contains(ErrorCode.CONFLICT);
      assertThat(lost.error()).hasValueSatisfying(m -> assertThat(m).contains("lease").contains("token " + tokenA)
          .contains("not checkpointed"));
      assertThat(lost.checkpoint()).isEmpty();
      Event last = run.events().get(run.events().size() - 1);
      assertThat(last).isInstanceOfSatisfying(Event.RunFailed.class, f -> assertThat(f.errorCode()).isEqualTo("conflict"));
      assertThat(store.list("app", 100, Optional.empty()))
          .noneMatch(c -> c.runId().equals(Optional.of(run.runId())));
      assertThat(store.head("app")).isEqualTo(byB.checkpoint());
    }
  }

  @Test
  void closingAHostReleasesItsLeases() throws Exception {
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    InMemorySandbox workspace = InMemorySandbox.builder("app").build();
    ScriptedModel holding = ScriptedModel.builder().turn(t -> t.text("…").holdUntilCancelled()).build();
    ChatBuilder a = hosts().hostId("host-a").model(holding).sandboxes(id -> workspace)
        .checkpointStore(store).build();
    a.chat("app", "think");
    assertThat(store.current("app")).isPresent();
    a.close();
    assertThat(store.current("app")).isEmpty();
    try (ChatBuilder b = hosts().hostId("host-b").model(writing("b.txt", null, null))
        .sandboxes(id -> workspace).checkpointStore(store).build()) {
      assertThat(b.chat("app", "write b").completion().get(30, TimeUnit.SECONDS).outcome()).isEqualTo(RunOutcome.COMPLETED);
    }
  }

  /** The terminal event means the app is free on every host, not only on the one that ran. */
  @Test
  void theNextChatOnTheOtherHostStartedOnTheTerminalEventIsNeverBusy() throws Exception {
    int runs = 300;
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    InMemorySandbox workspace = InMemorySandbox.builder("app").build();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    AtomicInteger completed = new AtomicInteger();
    CompletableFuture<Void> done = new CompletableFuture<>();
    try (ChatBuilder a = hosts().hostId("host-a").model(writing("n.txt", null, null))
            .sandboxes(id -> workspace).checkpointStore(store).build();
        ChatBuilder b = hosts().hostId("host-b").model(writing("n.txt", null, null))
            .sandboxes(id -> workspace).checkpointStore(store).build()) {
      ChatBuilder[] hosts = {a, b};
      Runnable[] next = new Runnable[1];
      next[0] = () -> {
        RunHandle run = hosts[completed.get() % 2].chat("app", "change n.txt");
        run.subscribe(0, event -> {
          if (!event.terminal()) {
            return;
          }
          if (!(event instanceof Event.RunCompleted)) {
            failures.add(new AssertionError("run ended with " + event));
          }
          if (completed.incrementAndGet() == runs) {
            done.complete(null);
            return;
          }
          try {
            next[0].run();
          } catch (RuntimeException e) {
            failures.add(e);
            done.complete(null);
          }
        });
      };
      next[0].run();
      done.get(5, TimeUnit.MINUTES);
      assertThat(failures).isEmpty();
      assertThat(completed).hasValue(runs);
      assertThat(store.list("app", runs + 10, Optional.empty()))
          .filteredOn(c -> c.type() == CheckpointType.AGENT_RUN).hasSize(runs);
    }
  }
}
