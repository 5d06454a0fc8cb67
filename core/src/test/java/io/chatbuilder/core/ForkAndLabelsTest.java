package io.chatbuilder.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointLabels;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.ForkDraft;
import io.chatbuilder.core.checkpoint.ForwardingCheckpointStore;
import io.chatbuilder.core.checkpoint.InMemoryCheckpointStore;
import io.chatbuilder.core.checkpoint.LabelQuery;
import io.chatbuilder.core.checkpoint.LabelledCheckpoint;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.Sandbox;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link ChatBuilder#fork} and the label methods, through the facade with real in-memory parts. */
class ForkAndLabelsTest {
  private final ConcurrentLinkedQueue<ScriptedModel.Turn> turns = new ConcurrentLinkedQueue<>();
  private final Map<String, InMemorySandbox> sandboxes = new ConcurrentHashMap<>();
  private InMemoryCheckpointStore store;
  private ChatBuilder cb;

  @BeforeEach
  void open() {
    sandboxes.put("source", InMemorySandbox.builder("source").file("index.html", "<h1>v0</h1>\n")
        .file("src/main.js", "console.log(0);\n").build());
    store = new InMemoryCheckpointStore();
    cb = builder(store).build();
  }

  private ChatBuilder.Builder builder(CheckpointStore checkpoints) {
    return ChatBuilder.builder().model(ScriptedModel.responding(r -> Optional.ofNullable(turns.poll())))
        .sandboxes(id -> sandboxes.computeIfAbsent(id, k -> InMemorySandbox.builder(k).build()))
        .checkpointStore(checkpoints);
  }

  @AfterEach
  void close() {
    cb.close();
  }

  private Checkpoint run(String app, String path, String content) throws Exception {
    turns.add(ScriptedModel.Turn.builder().toolCall("c1", "write_file",
        "{\"path\":\"" + path + "\",\"content\":\"" + content + "\"}").build());
    turns.add(ScriptedModel.Turn.builder().text("done").build());
    return cb.chat(app, "change " + path).completion().get(30, TimeUnit.SECONDS).checkpoint().orElseThrow();
  }

  private SortedMap<String, String> files(String app) {
    Sandbox sandbox = sandboxes.get(app);
    SortedMap<String, String> out = new TreeMap<>();
    sandbox.files().keySet().forEach(p -> out.put(p, new String(sandbox.read(p).bytes(), StandardCharsets.UTF_8)));
    return out;
  }

  @Test
  void aForkStartsANewAppWithTheCheckpointsFilesAndItsOwnHistory() throws Exception {
    Checkpoint one = run("source", "index.html", "<h1>v1</h1>");
    Checkpoint two = run("source", "index.html", "<h1>v2</h1>");
    SortedMap<String, String> sourceFiles = files("source");

    Checkpoint fork = cb.fork("source", one.id(), "remix");
    assertThat(fork.type()).isEqualTo(CheckpointType.FORK);
    assertThat(fork.appId()).isEqualTo("remix");
    assertThat(fork.sourceAppId()).contains("source");
    assertThat(fork.sourceCheckpointId()).contains(one.id());
    assertThat(fork.resultRevisionId()).isEqualTo(one.resultRevisionId());
    assertThat(fork.label()).contains("source").contains(one.id());
    assertThat(fork.stats().filesAdded()).isEqualTo(2);
    assertThat(files("remix")).containsExactly(Map.entry("index.html", "<h1>v1</h1>"), Map.entry("src/main.js", "console.log(0);\n"));
    assertThat(cb.checkpoints("remix", 10)).containsExactly(fork);
    assertThat(cb.undoRedoState("remix")).isEqualTo(new ChatBuilder.UndoRedoState(false, false));
    assertThatThrownBy(() -> cb.undo("remix")).as("a fork, like initial files, is not undoable")
        .isInstanceOf(NothingToDoException.class);
    assertThat(cb.checkpoints("remix", 10)).as("the fork's files were acknowledged: no outside-edit checkpoint")
        .containsExactly(fork);

    Checkpoint change = run("remix", "index.html", "<h1>remix</h1>");
    assertThat(change.parentId()).contains(fork.id());
    Checkpoint undo = cb.undo("remix");
    assertThat(undo.type()).isEqualTo(CheckpointType.UNDO);
    assertThat(files("remix").get("index.html")).isEqualTo("<h1>v1</h1>");
    assertThat(cb.conversation("remix")).as("its own conversation").isNotEmpty();

    // the source never moved
    assertThat(files("source")).isEqualTo(sourceFiles);
    assertThat(cb.head("source")).contains(two);
    assertThat(cb.checkpoints("source", 10)).hasSize(3);
    assertThat(cb.undo("source").sourceCheckpointId()).contains(two.id());
    assertThat(files("remix").get("index.html")).isEqualTo("<h1>v1</h1>");
  }

  @Test
  void forkRefusesWhatItWouldOverwriteOrCannotFind() throws Exception {
    Checkpoint one = run("source", "index.html", "<h1>v1</h1>");
    sandboxes.put("other", InMemorySandbox.builder("other").file("other.txt", "other app").build());
    Checkpoint other = cb.initialize("other");

    assertThatThrownBy(() -> cb.fork("source", one.id(), "other")).isInstanceOf(ConflictException.class)
        .hasMessageContaining("other");
    assertThat(cb.checkpoints("other", 10)).containsExactly(other);
    assertThatThrownBy(() -> cb.fork("source", one.id(), "source")).isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> cb.fork("source", other.id(), "x1")).as("another app's checkpoint")
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> cb.fork("source", "no-such", "x1")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> cb.fork("nope", one.id(), "x1")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> cb.fork("source", one.id(), "../evil")).isInstanceOf(InvalidArgumentException.class);
    assertThat(sandboxes).doesNotContainKey("x1");

    InMemorySandbox dirty = InMemorySandbox.builder("dirty").file("mine.txt", "keep me").build();
    sandboxes.put("dirty", dirty);
    assertThatThrownBy(() -> cb.fork("source", one.id(), "dirty")).isInstanceOf(ConflictException.class)
        .hasMessageContaining("refusing to overwrite");
    assertThat(files("dirty")).containsExactly(Map.entry("mine.txt", "keep me"));
    assertThat(cb.head("dirty")).isEmpty();
  }

  @Test
  void twoThreadsForkingOntoOneNewAppHaveExactlyOneWinner() throws Exception {
    Checkpoint one = run("source", "index.html", "<h1>v1</h1>");
    Checkpoint two = run("source", "index.html", "<h1>v2</h1>");
    for (int round = 0; round < 20; round++) {
      String app = "race" + round;
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<Optional<Checkpoint>>> results = new ArrayList<>();
        for (Checkpoint from : List.of(one, two)) {
          results.add(pool.submit(() -> {
            start.await();
            try {
              return Optional.of(cb.fork("source", from.id(), app));
            } catch (BusyException | ConflictException e) {
              return Optional.<Checkpoint>empty();
            }
          }));
        }
        start.countDown();
        List<Checkpoint> winners = new ArrayList<>();
        for (Future<Optional<Checkpoint>> f : results) {
          f.get(30, TimeUnit.SECONDS).ifPresent(winners::add);
        }
        assertThat(winners).as("round " + round).hasSize(1);
        assertThat(cb.checkpoints(app, 10)).containsExactly(winners.get(0));
        String expected = winners.get(0).sourceCheckpointId().orElseThrow().equals(one.id()) ? "<h1>v1</h1>" : "<h1>v2</h1>";
        assertThat(files(app).get("index.html")).isEqualTo(expected);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aForkTheStoreRefusesLeavesTheNewSandboxEmpty() throws Exception {
    cb.close();
    InMemoryCheckpointStore real = new InMemoryCheckpointStore();
    cb = builder(new RefusingForks(real)).build();
    Checkpoint one = run("source", "index.html", "<h1>v1</h1>");
    assertThatThrownBy(() -> cb.fork("source", one.id(), "remix")).isInstanceOf(StoreException.class);
    assertThat(files("remix")).isEmpty();
    assertThat(cb.head("remix")).isEmpty();
  }

  @Test
  void labelsAndBookmarks() throws Exception {
    Checkpoint one = run("source", "index.html", "<h1>v1</h1>");
    Checkpoint two = run("source", "index.html", "<h1>v2</h1>");
    assertThat(cb.label("source", one.id(), "v1")).containsExactly("v1");
    assertThat(cb.bookmark("source", two.id())).containsExactly(CheckpointLabels.BOOKMARK);
    assertThat(cb.label("source", two.id(), "v2 launch")).containsExactly("bookmark", "v2 launch");
    assertThat(cb.labels("source", two.id())).containsExactly("bookmark", "v2 launch");
    assertThat(cb.bookmarks("source")).extracting(LabelledCheckpoint::checkpoint).containsExactly(two);
    assertThat(cb.labelled("source")).extracting(LabelledCheckpoint::checkpoint).containsExactly(two, one);
    assertThat(cb.findByLabel("source", LabelQuery.prefix("v"))).extracting(LabelledCheckpoint::checkpoint)
        .containsExactly(two, one);
    assertThat(cb.unbookmark("source", two.id())).containsExactly("v2 launch");
    assertThat(cb.unlabel("source", one.id(), "v1")).isEmpty();
    assertThat(cb.bookmarks("source")).isEmpty();
    assertThatThrownBy(() -> cb.label("source", one.id(), "x\u0000y")).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> cb.label("source", "no-such", "v1")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> cb.label("bad/app", one.id(), "v1")).isInstanceOf(InvalidArgumentException.class);
    // labels are metadata: the history is what it was, and the app is free while labelling
    assertThat(cb.checkpoints("source", 10)).hasSize(3).startsWith(two, one);
  }

  /** A store whose forks fail after the facade wrote the files: delegates everything else. */
  private record RefusingForks(InMemoryCheckpointStore delegate) implements ForwardingCheckpointStore {
    @Override
    public Checkpoint fork(ForkDraft draft) {
      throw new StoreException("the database went away", null);
    }

    @Override
    public Checkpoint fork(ForkDraft draft, Lease lease) {
      throw new StoreException("the database went away", null);
    }
  }
}
