package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseIntent;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.conversation.InMemoryConversationStore;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.event.InMemoryEventLog;
import io.chatbuilder.core.json.JsonCodec;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.model.ToolDefinition;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.FencedSandbox;
import io.chatbuilder.core.sandbox.ForwardingSandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.core.tool.ToolContext;
import io.chatbuilder.core.tool.ToolResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A host that dies mid-run or mid-undo, simulated in one JVM: after {@link KillSwitch#kill()} nothing
 * of host A reaches the shared stores any more (its lease is neither renewed nor released, its events
 * and conversation appends are lost), as after a SIGKILL. Host B, touching the app next, must end
 * what A left. The real SIGKILL tests on PostgreSQL are in store-jdbc ({@code KillHostTest}).
 */
class DeadHostRecoveryTest {
  private static final Duration TTL = Duration.ofMillis(300);

  /** Cuts a host off from the shared stores, as its death would. */
  static final class KillSwitch {
    final AtomicBoolean dead = new AtomicBoolean();

    void kill() {
      dead.set(true);
    }

    void check() {
      if (dead.get()) {
        throw new StoreException("host is dead", null);
      }
    }
  }

  /** Host A's view of the shared lease store: dead, it renews and releases nothing. */
  static LeaseStore leasesOf(LeaseStore shared, KillSwitch k) {
    return new LeaseStore() {
      @Override
      public Lease acquire(String appId, String holder, Duration ttl) {
        k.check();
        return shared.acquire(appId, holder, ttl);
      }

      @Override
      public Lease renew(Lease lease, Duration ttl) {
        k.check();
        return shared.renew(lease, ttl);
      }

      @Override
      public void release(Lease lease) {
        k.check();
        shared.release(lease);
      }

      @Override
      public Optional<Lease> current(String appId) {
        return shared.current(appId);
      }

      @Override
      public void recordIntent(Lease lease, String intent) {
        k.check();
        shared.recordIntent(lease, intent);
      }

      @Override
      public void clearIntent(Lease lease) {
        k.check();
        shared.clearIntent(lease);
      }

      @Override
      public Optional<LeaseIntent> intent(String appId) {
        return shared.intent(appId);
      }
    };
  }

  static EventLog eventsOf(EventLog shared, KillSwitch k) {
    return new EventLog() {
      @Override
      public void append(Event event) {
        k.check();
        shared.append(event);
      }

      @Override
      public List<Event> read(String appId, String runId, long afterSeq) {
        return shared.read(appId, runId, afterSeq);
      }

      @Override
      public List<String> runIds(String appId, int limit) {
        return shared.runIds(appId, limit);
      }
    };
  }

  static ConversationStore conversationsOf(ConversationStore shared, KillSwitch k) {
    return new ConversationStore() {
      @Override
      public List<ChatMessage> load(String appId) {
        return shared.load(appId);
      }

      @Override
      public void append(String appId, String turnId, List<ChatMessage> messages) {
        k.check();
        shared.append(appId, turnId, messages);
      }

      @Override
      public void truncate(String appId, int length) {
        k.check();
        shared.truncate(appId, length);
      }
    };
  }

  /** Host A's view of the shared workspace: dead, it writes nothing more. */
  static CheckpointStore checkpointsOf(InMemoryCheckpointStore shared, KillSwitch k) {
    return new CheckpointStore() {
      @Override
      public String blobIdOf(byte[] content) {
        return shared.blobIdOf(content);
      }

      @Override
      public Checkpoint append(CheckpointDraft draft) {
        k.check();
        return shared.append(draft);
      }

      @Override
      public Optional<Checkpoint> head(String appId) {
        return shared.head(appId);
      }

      @Override
      public Optional<Checkpoint> find(String appId, String checkpointId) {
        return shared.find(appId, checkpointId);
      }

      @Override
      public List<Checkpoint> list(String appId, int limit, Optional<String> beforeId) {
        return shared.list(appId, limit, beforeId);
      }

      @Override
      public io.chatbuilder.core.checkpoint.Revision revision(String revisionId) {
        return shared.revision(revisionId);
      }

      @Override
      public Optional<byte[]> readFile(String revisionId, String path) {
        return shared.readFile(revisionId, path);
      }

      @Override
      public byte[] readBlob(String blobId) {
        return shared.readBlob(blobId);
      }

      @Override
      public List<String> apps() {
        return shared.apps();
      }
    };
  }

  /** A host tool that blocks until the test lets it go (the run is "in flight" there). */
  static Tool blocking(CountDownLatch entered, CountDownLatch gate) {
    ObjectNode schema = new JsonCodec().objectNode().put("type", "object");
    return new Tool() {
      @Override
      public ToolDefinition definition() {
        return new ToolDefinition("deploy_preview", "blocks", schema);
      }

      @Override
      public ToolResult execute(ToolContext context, ObjectNode arguments) {
        entered.countDown();
        try {
          gate.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return new ToolResult("ok", "ok", List.of(), false);
      }
    };
  }

  @Test
  void aRunWhoseHostDiedIsEndedByTheNextHostWithItsFilesItsToolResultsAndOneTerminalEvent() throws Exception {
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    InMemoryEventLog events = new InMemoryEventLog();
    InMemoryConversationStore conversations = new InMemoryConversationStore();
    InMemorySandbox workspace = InMemorySandbox.builder("app").build();
    KillSwitch a = new KillSwitch();
    CountDownLatch inTool = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    ScriptedModel model = ScriptedModel.responding(request -> {
      List<ChatMessage> messages = request.messages();
      if (messages.get(messages.size() - 1) instanceof ChatMessage.ToolResult) {
        return Optional.of(ScriptedModel.Turn.builder().text("done").build());
      }
      String text = ((ChatMessage.User) messages.stream().filter(m -> m instanceof ChatMessage.User)
          .reduce((x, y) -> y).orElseThrow()).text();
      return Optional.of(ScriptedModel.Turn.builder()
          .toolCall("write_file", "{\"path\":\"" + text + ".txt\",\"content\":\"by " + text + "\"}")
          .toolCall("deploy_preview", "{}")
          .build());
    });
    ChatBuilder hostA = ChatBuilder.builder().hostId("host-a").model(model).sandboxes(id -> workspace)
        .checkpointStore(checkpointsOf(store, a)).leaseStore(leasesOf(store, a)).eventLog(eventsOf(events, a))
        .conversationStore(conversationsOf(conversations, a)).tool(blocking(inTool, gate)).leaseTtl(TTL).build();
    ChatBuilder hostB = ChatBuilder.builder().hostId("host-b").model(model).sandboxes(id -> workspace)
        .checkpointStore(store).eventLog(events).conversationStore(conversations)
        .tool(blocking(new CountDownLatch(1), new CountDownLatch(0))).leaseTtl(TTL).build();
    try {
      RunHandle dead = hostA.chat("app", "first");
      assertThat(inTool.await(10, TimeUnit.SECONDS)).isTrue();
      a.kill();
      // Host B is kept out while A's lease is live, and gets in once it lapsed (at most one ttl).
      RunHandle next = chatWhenFree(hostB, "second");
      RunResult result = next.completion().get(30, TimeUnit.SECONDS);
      assertThat(result.outcome()).isEqualTo(RunOutcome.COMPLETED);

      List<Event> log = events.read("app", dead.runId(), 0);
      assertThat(log.stream().filter(Event::terminal)).hasSize(1);
      Event last = log.get(log.size() - 1);
      assertThat(last).isInstanceOfSatisfying(Event.RunFailed.class, f -> {
        assertThat(f.errorCode()).isEqualTo("host_lost");
        assertThat(f.error()).contains("host running this run stopped");
      });
      // Its file is in a checkpoint of its own (failed), not in an outside-edits one.
      List<Checkpoint> history = store.list("app", 100, Optional.empty());
      assertThat(history).noneMatch(c -> c.type() == CheckpointType.MANUAL);
      Checkpoint deadCheckpoint = history.stream().filter(c -> c.runId().equals(Optional.of(dead.runId()))).findFirst()
          .orElseThrow();
      assertThat(deadCheckpoint.runOutcome()).contains(RunOutcome.FAILED);
      assertThat(store.readFile(deadCheckpoint.resultRevisionId(), "first.txt")).hasValueSatisfying(
          b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("by first"));
      assertThat(log).anySatisfy(e -> assertThat(e).isInstanceOfSatisfying(Event.CheckpointCreated.class,
          c -> assertThat(c.checkpoint().id()).isEqualTo(deadCheckpoint.id())));
      Checkpoint secondCheckpoint = result.checkpoint().orElseThrow();
      assertThat(store.diff(deadCheckpoint.resultRevisionId(), secondCheckpoint.resultRevisionId()).keySet())
          .containsExactly("second.txt");
      // The stored conversation answers every call right after the turn that made it.
      assertValidForProviders(conversations.load("app"));
      // What is left is the next run's own end, for whoever takes the app next to check.
      assertThat(store.intent("app")).hasValueSatisfying(i -> assertThat(i.text()).contains(next.runId()).contains("terminal_seq"));
      // Host B stores its runs' events off the delivery path; closing it is where they are flushed.
      hostB.close();
      assertThat(events.runIds("app", 10)).hasSize(2);
    } finally {
      gate.countDown();
      hostB.close();
      hostA.close();
    }
  }

  @Test
  void anUndoWhoseHostDiedHalfWayIsCompletedNotRecordedAsAnOutsideEdit() throws Exception {
    InMemoryCheckpointStore store = new InMemoryCheckpointStore();
    InMemorySandbox shared = InMemorySandbox.builder("app").build();
    KillSwitch a = new KillSwitch();
    CountDownLatch halfWay = new CountDownLatch(1);
    // Host A's view of the workspace: the undo's apply writes 10 of 40 files, then the host dies.
    Sandbox dying = new ForwardingSandbox(shared) {
      @Override
      public Sandbox fenced(long token) {
        // A fault injector, not a fence: host A's view only needs to pass its mutations through.
        return FencedSandbox.of(this, token, new FencedSandbox.Fence() {
          @Override
          public <T> T guard(long t, java.util.function.Supplier<T> mutation) {
            return mutation.get();
          }
        });
      }

      @Override
      public void apply(Map<String, Optional<byte[]>> files) {
        int n = 0;
        for (Map.Entry<String, Optional<byte[]>> e : files.entrySet()) {
          if (n++ == 10) {
            a.kill();
            halfWay.countDown();
            throw new StoreException("host died", null);
          }
          super.apply(Map.of(e.getKey(), e.getValue()));
        }
      }
    };
    // The person's change: one run that rewrites all 40 files.
    ScriptedModel model = ScriptedModel.responding(request -> {
      List<ChatMessage> messages = request.messages();
      if (messages.get(messages.size() - 1) instanceof ChatMessage.ToolResult) {
        return Optional.of(ScriptedModel.Turn.builder().text("done").build());
      }
      ScriptedModel.TurnBuilder turn = ScriptedModel.Turn.builder();
      for (int i = 0; i < 40; i++) {
        turn.toolCall("write_file", "{\"path\":\"src/f" + i + ".txt\",\"content\":\"v1 " + i + "\"}");
      }
      return Optional.of(turn.build());
    });
    ChatBuilder hostB = ChatBuilder.builder().hostId("host-b").model(model).sandboxes(id -> shared)
        .checkpointStore(store).leaseTtl(TTL).build();
    ChatBuilder hostA = ChatBuilder.builder().hostId("host-a").model(model).sandboxes(id -> dying)
        .checkpointStore(checkpointsOf(store, a)).leaseStore(leasesOf(store, a)).leaseTtl(TTL).build();
    try {
      for (int i = 0; i < 40; i++) {
        shared.write("src/f" + i + ".txt", ("v0 " + i).getBytes(StandardCharsets.UTF_8));
      }
      hostB.initialize("app");
      RunResult changed = hostB.chat("app", "rewrite them").completion().get(30, TimeUnit.SECONDS);
      Checkpoint change = changed.checkpoint().orElseThrow();
      assertThatThrownBy(() -> hostA.undo("app")).isInstanceOf(RuntimeException.class);
      assertThat(halfWay.getCount()).isZero();
      Checkpoint interrupted = store.head("app").orElseThrow();
      assertThat(interrupted.type()).isEqualTo(CheckpointType.UNDO);

      // The next operation on B first completes A's undo; then B's own undo finds nothing left.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (true) {
        try {
          hostB.undo("app");
          break;
        } catch (BusyException e) {
          assertThat(System.nanoTime()).as("A's lease lapses within its ttl").isLessThan(deadline);
          Thread.sleep(20);
        } catch (NothingToDoException e) {
          break;
        }
      }
      for (int i = 0; i < 40; i++) {
        assertThat(new String(shared.read("src/f" + i + ".txt").bytes(), StandardCharsets.UTF_8)).isEqualTo("v0 " + i);
      }
      assertThat(store.list("app", 100, Optional.empty())).extracting(Checkpoint::type)
          .doesNotContain(CheckpointType.MANUAL);
      assertThat(store.list("app", 100, Optional.empty()).stream().filter(c -> c.type() == CheckpointType.UNDO)).hasSize(1);
      assertThat(store.intent("app")).isEmpty();
      // And the history goes on normally: redo brings the change back.
      hostB.redo("app");
      assertThat(new String(shared.read("src/f7.txt").bytes(), StandardCharsets.UTF_8)).isEqualTo("v1 7");
      assertThat(store.diff(change.resultRevisionId(), store.head("app").orElseThrow().resultRevisionId())).isEmpty();
    } finally {
      hostB.close();
      hostA.close();
    }
  }

  private static RunHandle chatWhenFree(ChatBuilder host, String message) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return host.chat("app", message);
      } catch (BusyException e) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the dead host's lease never lapsed", e);
        }
        Thread.sleep(20);
      }
    }
  }

  /** Every assistant tool call is followed, before anything else, by exactly its results (OpenAI and Anthropic rules). */
  static void assertValidForProviders(List<ChatMessage> messages) {
    for (int i = 0; i < messages.size(); i++) {
      if (messages.get(i) instanceof ChatMessage.Assistant a && !a.toolCalls().isEmpty()) {
        Set<String> asked = new HashSet<>();
        a.toolCalls().stream().map(ToolCall::id).forEach(asked::add);
        Set<String> answered = new HashSet<>();
        int j = i + 1;
        while (j < messages.size() && messages.get(j) instanceof ChatMessage.ToolResult r) {
          answered.add(r.callId());
          j++;
        }
        assertThat(answered).as("results right after message %d of %s", i, messages).isEqualTo(asked);
      } else if (messages.get(i) instanceof ChatMessage.ToolResult r) {
        assertThat(i).as("result %s follows a call", r.callId()).isPositive();
      }
    }
  }
}
