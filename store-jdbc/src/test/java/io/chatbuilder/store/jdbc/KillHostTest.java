package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.BusyException;
import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.NothingToDoException;
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
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Host JVMs ({@link KillHost}) on real PostgreSQL, killed with SIGKILL at random moments, 30 times
 * mid-run and 30 times during an undo of 2,000 files; this JVM is the next host on the same app
 * (one shared workspace directory). After each kill the next host's operation must end what the dead
 * one left: a run's log ends in exactly one terminal event and its files are that run's; an undo is
 * completed or was never begun, never recorded as edits made outside the agent.
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
      for (int round = 0; round < KILLS; round++) {
        String message = "m" + round;
        Child child = Child.start(tmp, "run", DATABASE, prefix, app, dir.toString(), message);
        String started = child.await("started ");
        String deadRun = started.substring("started ".length());
        Thread.sleep(random.nextInt(700));
        child.kill();

        RunResult next = untilFree(() -> survivor.chat(app, "after " + message)).completion().get(60, TimeUnit.SECONDS);
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
        assertWorkspaceEqualsHead(store, head, dir);
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

  @Test
  void aHostKilledDuringAnUndoOf2000FilesLeavesAnUndoTheNextHostCompletesOrNeverBegan(@TempDir Path tmp) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(DATABASE);
    String prefix = TestDatabases.uniquePrefix();
    JdbcStores stores = TestDatabases.stores(dataSource, prefix);
    String app = "killed-undos";
    Path dir = Files.createDirectories(tmp.resolve("workspace"));
    Random random = new Random();
    int completed = 0;
    int neverBegan = 0;
    Sandbox sandbox = LocalSandbox.builder(dir).id(app).build();
    try (ChatBuilder survivor = KillHost.builder(stores, sandbox, "survivor").build()) {
      CheckpointStore store = stores.checkpointStore();
      // v0 is the app's initial files, the person's change rewrites all 2,000 to v1.
      for (int i = 0; i < KillHost.FILES; i++) {
        sandbox.write("src/d" + (i % 20) + "/f" + i + ".txt", KillHost.content("v0", i));
      }
      survivor.initialize(app);
      RunResult change = survivor.chat(app, "rewrite all v1").completion().get(120, TimeUnit.SECONDS);
      assertThat(change.outcome()).isEqualTo(RunOutcome.COMPLETED);
      // How long an undo takes here, from the child's "undoing" to its end: kills are spread over it.
      Child calibration = Child.start(tmp, "undo", DATABASE, prefix, app, dir.toString());
      calibration.await("undoing");
      long started = System.nanoTime();
      calibration.await("undone");
      long undoMillis = Math.max(50, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
      assertThat(calibration.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      survivor.redo(app);
      for (int round = 0; round < KILLS; round++) {
        Checkpoint before = store.head(app).orElseThrow();
        Child child = Child.start(tmp, "undo", DATABASE, prefix, app, dir.toString());
        child.await("undoing");
        Thread.sleep(random.nextInt((int) undoMillis));
        child.kill();
        Checkpoint left = store.head(app).orElseThrow();
        boolean appended = !left.id().equals(before.id());
        if (appended) {
          assertThat(left.type()).isEqualTo(CheckpointType.UNDO);
          completed++;
        } else {
          neverBegan++;
        }
        // The person's next undo: finishes the killed one if it was appended, else undoes the change.
        try {
          untilFree(() -> survivor.undo(app));
          assertThat(appended).as("undo after a killed undo that never began").isFalse();
        } catch (NothingToDoException e) {
          assertThat(appended).as("nothing to undo only if the killed undo was completed").isTrue();
        }
        Checkpoint head = store.head(app).orElseThrow();
        assertThat(store.diff(head.resultRevisionId(), store.list(app, Integer.MAX_VALUE, Optional.empty())
            .stream().filter(c -> c.type() == CheckpointType.INITIAL).findFirst().orElseThrow().resultRevisionId()))
            .as("after round %d the files are the initial ones", round).isEmpty();
        assertWorkspaceEqualsHead(store, head, dir);
        assertThat(store.list(app, Integer.MAX_VALUE, Optional.empty())).extracting(Checkpoint::type)
            .doesNotContain(CheckpointType.MANUAL);
        survivor.redo(app); // back to v1 for the next round
        assertWorkspaceEqualsHead(store, store.head(app).orElseThrow(), dir);
      }
      assertThat(stores.leaseStore().intent(app)).isEmpty();
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
    System.out.printf("%d hosts killed during an undo of %d files on %s: %d undos completed by the next host,"
        + " %d had not begun%n", KILLS, KillHost.FILES, DATABASE, completed, neverBegan);
    assertThat(neverBegan).as("kills that hit an undo before its checkpoint").isPositive();
    assertThat(completed).as("kills that hit an undo after its checkpoint").isPositive();
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

  /** Nothing lost, nothing stale, nothing left behind (no temp files of killed writes). */
  private static void assertWorkspaceEqualsHead(CheckpointStore store, Checkpoint head, Path dir) throws Exception {
    Map<String, String> expected = new TreeMap<>();
    store.revision(head.resultRevisionId()).files().forEach((path, ref) -> expected.put(path, ref.blobId()));
    Map<String, String> actual = new TreeMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        actual.put(dir.relativize(p).toString().replace('\\', '/'), store.blobIdOf(Files.readAllBytes(p)));
      }
    }
    Set<String> extra = new java.util.TreeSet<>(actual.keySet());
    extra.removeAll(expected.keySet());
    Set<String> missing = new java.util.TreeSet<>(expected.keySet());
    missing.removeAll(actual.keySet());
    assertThat(extra).as("files in the workspace but not in the head").isEmpty();
    assertThat(missing).as("files of the head missing in the workspace").isEmpty();
    List<String> differing = expected.keySet().stream().filter(p -> !expected.get(p).equals(actual.get(p))).limit(5).toList();
    assertThat(differing).as("files whose content differs from the head").isEmpty();
  }

  private static <T> T untilFree(Callable<T> action) throws Exception {
    long deadline = System.nanoTime() + KillHost.TTL.multipliedBy(10).toNanos();
    while (true) {
      try {
        return action.call();
      } catch (BusyException e) {
        // The dead host's lease lapses within its ttl; until then the app is rightly busy.
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the killed host's lease did not lapse", e);
        }
        Thread.sleep(25);
      }
    }
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

  /** A child host JVM and its output. */
  private static final class Child {
    final Process process;
    final BufferedReader out;
    final Path err;

    private Child(Process process, Path err) {
      this.process = process;
      this.err = err;
      this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static Child start(Path tmp, String... args) throws Exception {
      List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", KillHost.class.getName()));
      command.addAll(List.of(args));
      Path err = tmp.resolve("child.err");
      return new Child(new ProcessBuilder(command).redirectError(err.toFile()).start(), err);
    }

    String await(String prefix) throws Exception {
      for (String line; (line = out.readLine()) != null; ) {
        if (line.startsWith(prefix)) {
          return line;
        }
      }
      throw new AssertionError("the child ended before printing '" + prefix + "': " + Files.readString(err));
    }

    void kill() throws InterruptedException {
      process.destroyForcibly(); // SIGKILL
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
