package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.model.ToolCall;
import io.chatbuilder.core.sandbox.Sandbox;
import io.chatbuilder.sandbox.local.LocalSandbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host JVMs ({@link KillHost}) on real PostgreSQL, killed with SIGKILL at random moments 30 times
 * mid-run (each started while the round before it is checked, idle until told to act); this JVM is
 * the next host on the same app (one shared workspace directory). After each kill the next host's
 * chat must end what the dead one left: the killed run's log ends in exactly one terminal event and
 * its files are that run's. {@link KillHostUndoTest} does the same to undos.
 */
class KillHostTest {
  private static final int KILLS = 30;
  private static final String DATABASE = "postgresql";

  @Test
  void aHostKilledMidRunLeavesARunTheNextHostEnds(@TempDir Path tmp) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(DATABASE);
    String prefix = TestDatabases.uniquePrefix();
    JdbcStores stores = TestDatabases.stores(dataSource, prefix);
    String app = "killed-runs";
    Path dir = Files.createDirectories(tmp.resolve("workspace"));
    Random random = new Random();
    int endedByRecovery = 0;
    Sandbox sandbox = LocalSandbox.builder(dir).id(app).build();
    try (ChatBuilder survivor = KillHost.builder(stores, sandbox, "survivor").build()) {
      CheckpointStore store = stores.checkpointStore();
      KillHost.Child nextHost = KillHost.Child.start(tmp, "run", DATABASE, prefix, app, dir.toString());
      for (int round = 0; round < KILLS; round++) {
        String message = "m" + round;
        KillHost.Child child = nextHost;
        child.go(message);
        String started = child.await("started ");
        String deadRun = started.substring("started ".length());
        Thread.sleep(random.nextInt(700));
        child.kill();
        // The next host boots while this round is checked; it touches the app only when told.
        nextHost = round + 1 < KILLS ? KillHost.Child.start(tmp, "run", DATABASE, prefix, app, dir.toString()) : null;

        RunResult next = KillHost.untilFree(() -> survivor.chat(app, "after " + message)).completion().get(60, TimeUnit.SECONDS);
        assertThat(next.outcome()).as("the next chat after kill %d: %s", round, next.error()).isEqualTo(RunOutcome.COMPLETED);

        List<Event> log = survivor.events(app, deadRun, 0);
        assertThat(log.stream().filter(Event::terminal)).as("terminal events of killed run %d", round).hasSize(1);
        assertThat(log.get(log.size() - 1).terminal()).isTrue();
        if (log.get(log.size() - 1) instanceof Event.RunFailed f && f.errorCode().equals("host_lost")) {
          endedByRecovery++;
        }
        // Every file the killed run wrote is credited to it, in its own checkpoint.
        List<Checkpoint> history = store.list(app, Integer.MAX_VALUE, Optional.empty());
        assertThat(history).extracting(Checkpoint::type).doesNotContain(CheckpointType.MANUAL);
        Checkpoint head = store.head(app).orElseThrow();
        for (String path : store.revision(head.resultRevisionId()).files().keySet()) {
          if (path.startsWith(message + "-")) {
            Checkpoint introduced = introducing(store, history, path);
            assertThat(introduced.runId()).as("run credited with %s", path).contains(deadRun);
          }
        }
        assertThat(store.diff(next.checkpoint().orElseThrow().parentId().map(id -> store.find(app, id).orElseThrow())
            .orElseThrow().resultRevisionId(), next.checkpoint().orElseThrow().resultRevisionId()).keySet())
            .allMatch(p -> p.startsWith("after " + message + "-"));
        KillHost.assertWorkspaceEqualsHead(store, head, dir);
        assertValidForProviders(stores.conversationStore().load(app));
      }
      // What is left is the last chat's own end (a run that ended), nothing of a killed one.
      assertThat(stores.leaseStore().intent(app)).hasValueSatisfying(i -> assertThat(i.text()).contains("terminal_seq"));
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
    System.out.printf("%d hosts killed mid-run on %s: %d runs ended by the next host, %d had ended on their own%n",
        KILLS, DATABASE, endedByRecovery, KILLS - endedByRecovery);
    assertThat(endedByRecovery).as("kills that really hit a run in flight").isPositive();
  }

  /** The oldest checkpoint whose files hold {@code path} with its head content. */
  private static Checkpoint introducing(CheckpointStore store, List<Checkpoint> newestFirst, String path) {
    Checkpoint found = null;
    for (Checkpoint c : newestFirst) {
      if (store.readFile(c.resultRevisionId(), path).isEmpty()) {
        break;
      }
      found = c;
    }
    return found;
  }

  /** Every tool call is followed, before anything else, by exactly its results (OpenAI and Anthropic). */
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
        assertThat(answered).as("results right after message %d of %s", i, messages.subList(Math.max(0, i - 3), Math.min(messages.size(), i + 4))).isEqualTo(asked);
      } else if (messages.get(i) instanceof ChatMessage.ToolResult r) {
        assertThat(messages.get(i - 1)).as("result %s follows its call", r.callId())
            .isInstanceOfAny(ChatMessage.Assistant.class, ChatMessage.ToolResult.class);
      }
    }
  }

}
