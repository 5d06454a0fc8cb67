package io.chatbuilder.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.NothingToDoException;
import io.chatbuilder.core.RunResult;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random sequences of agent runs, edits made outside the agent, undo, redo, restore and
 * revert-file, checked against a small reference model of DESIGN §3.2: after every step the
 * workspace equals what the model predicts, the checkpoint types match, and at the end every
 * recorded state is still restorable byte for byte.
 */
class HistoryProperties {
  static final List<String> PATHS = List.of("a.txt", "b.txt", "src/c.js", "src/d/e.css");
  static final List<String> CONTENTS = List.of("1", "2", "x\ny\n", "");

  sealed interface Action {}

  record Op(String path, Optional<String> content) {}

  record Run(List<Op> ops) implements Action {}

  record External(Op op) implements Action {}

  record Undo() implements Action {}

  record Redo() implements Action {}

  /** Restores the checkpoint at {@code index} modulo the history length (newest first). */
  record Restore(int index) implements Action {}

  record RevertFile(int index, String path) implements Action {}

  @Provide
  Arbitrary<List<Action>> actions() {
    Arbitrary<Op> op = Combinators.combine(Arbitraries.of(PATHS), Arbitraries.of(CONTENTS).optional(0.8))
        .as(Op::new);
    Arbitrary<Action> action = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, op.list().ofMinSize(1).ofMaxSize(3).map(Run::new)),
        net.jqwik.api.Tuple.of(2, op.map(External::new)),
        net.jqwik.api.Tuple.of(3, Arbitraries.just(new Undo())),
        net.jqwik.api.Tuple.of(2, Arbitraries.just(new Redo())),
        net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 50).map(Restore::new)),
        net.jqwik.api.Tuple.of(1, Combinators.combine(Arbitraries.integers().between(0, 50), Arbitraries.of(PATHS)).as(RevertFile::new)));
    return action.list().ofMinSize(1).ofMaxSize(25);
  }

  @Property(tries = 1500)
  void workspaceAlwaysMatchesTheModelAndNothingIsLost(@ForAll("actions") List<Action> actions) throws Exception {
    ConcurrentLinkedQueue<ScriptedModel.Turn> turns = new ConcurrentLinkedQueue<>();
    ScriptedModel model = ScriptedModel.responding(request -> Optional.ofNullable(turns.poll()));
    InMemorySandbox sandbox = InMemorySandbox.builder("p").file("a.txt", "initial").build();
    Reference ref = new Reference();
    ref.workspace.put("a.txt", "initial");
    try (ChatBuilder cb = ChatBuilder.builder().model(model).sandboxes(id -> sandbox).build()) {
      cb.initialize("p");
      ref.add(CheckpointType.INITIAL);
      for (Action action : actions) {
        List<String> ids = realIds(cb);
        apply(action, cb, sandbox, turns, ref, ids);
        assertThat(files(sandbox)).as("workspace after %s", action).isEqualTo(ref.workspace);
        List<Checkpoint> real = cb.checkpoints("p", 1000);
        assertThat(real).extracting(Checkpoint::type).as("checkpoint types after %s", action)
            .containsExactlyElementsOf(ref.typesNewestFirst());
      }
      // Every recorded state is still restorable byte for byte.
      List<String> ids = realIds(cb);
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        Map<String, String> stored = new TreeMap<>();
        cb.files("p", id).keySet().forEach(path ->
            stored.put(path, new String(cb.readFile("p", id, path).orElseThrow(), StandardCharsets.UTF_8)));
        assertThat(stored).as("checkpoint #%d", i).isEqualTo(ref.snapshots.get(i));
      }
    }
  }

  private static List<String> realIds(ChatBuilder cb) {
    List<String> ids = new ArrayList<>(cb.checkpoints("p", 10_000).stream().map(Checkpoint::id).toList());
    java.util.Collections.reverse(ids);
    return ids;
  }

  private void apply(Action action, ChatBuilder cb, InMemorySandbox sandbox, ConcurrentLinkedQueue<ScriptedModel.Turn> turns,
      Reference ref, List<String> ids) throws Exception {
    if (action instanceof External ext) {
      if (ext.op().content().isPresent()) {
        sandbox.write(ext.op().path(), ext.op().content().get().getBytes(StandardCharsets.UTF_8));
        ref.workspace.put(ext.op().path(), ext.op().content().get());
      } else if (ref.workspace.containsKey(ext.op().path())) {
        sandbox.delete(ext.op().path());
        ref.workspace.remove(ext.op().path());
      }
      return;
    }
    // Every other action first records edits made outside the agent.
    if (!ref.workspace.equals(ref.headState())) {
      ref.change(CheckpointType.MANUAL);
    }
    if (action instanceof Run run) {
      ScriptedModel.TurnBuilder turn = ScriptedModel.Turn.builder();
      int n = 0;
      for (Op op : run.ops()) {
        String args = op.content().isPresent()
            ? "{\"path\":\"" + op.path() + "\",\"content\":" + json(op.content().get()) + "}"
            : "{\"path\":\"" + op.path() + "\"}";
        turn.toolCall("c" + n++, op.content().isPresent() ? "write_file" : "delete_file", args);
        if (op.content().isPresent()) {
          ref.workspace.put(op.path(), op.content().get());
        } else {
          ref.workspace.remove(op.path());
        }
      }
      turns.add(turn.build());
      turns.add(ScriptedModel.Turn.builder().text("done").build());
      RunResult result = cb.chat("p", "run").completion().get(30, TimeUnit.SECONDS);
      assertThat(result.error()).isEmpty();
      if (!ref.workspace.equals(ref.headState())) {
        ref.change(CheckpointType.AGENT_RUN);
        assertThat(result.checkpoint()).isPresent();
      } else {
        assertThat(result.checkpoint()).isEmpty();
      }
    } else if (action instanceof Undo) {
      if (ref.undo.isEmpty()) {
        assertThatThrownBy(() -> cb.undo("p")).isInstanceOf(NothingToDoException.class);
        return;
      }
      cb.undo("p");
      int undone = ref.undo.pop();
      ref.workspace = new TreeMap<>(ref.snapshots.get(ref.parents.get(undone)));
      int u = ref.add(CheckpointType.UNDO);
      ref.redo.push(u);
    } else if (action instanceof Redo) {
      if (ref.redo.isEmpty()) {
        assertThatThrownBy(() -> cb.redo("p")).isInstanceOf(NothingToDoException.class);
        return;
      }
      cb.redo("p");
      int undo = ref.redo.pop();
      ref.workspace = new TreeMap<>(ref.snapshots.get(ref.parents.get(undo)));
      int d = ref.add(CheckpointType.REDO);
      ref.undo.push(d);
    } else if (action instanceof Restore restore) {
      int target = ids.size() - 1 - restore.index() % ids.size();
      if (ref.snapshots.get(target).equals(ref.workspace)) {
        assertThatThrownBy(() -> cb.restore("p", ids.get(target))).isInstanceOf(NothingToDoException.class);
        return;
      }
      cb.restore("p", ids.get(target));
      ref.workspace = new TreeMap<>(ref.snapshots.get(target));
      ref.change(CheckpointType.RESTORE);
    } else if (action instanceof RevertFile revert) {
      int source = ids.size() - 1 - revert.index() % ids.size();
      String wanted = ref.snapshots.get(source).get(revert.path());
      String current = ref.workspace.get(revert.path());
      if (wanted == null && current == null) {
        assertThatThrownBy(() -> cb.revertFile("p", ids.get(source), revert.path())).isInstanceOf(NotFoundException.class);
        return;
      }
      if (wanted != null && wanted.equals(current)) {
        assertThatThrownBy(() -> cb.revertFile("p", ids.get(source), revert.path())).isInstanceOf(NothingToDoException.class);
        return;
      }
      cb.revertFile("p", ids.get(source), revert.path());
      if (wanted == null) {
        ref.workspace.remove(revert.path());
      } else {
        ref.workspace.put(revert.path(), wanted);
      }
      ref.change(CheckpointType.REVERT_FILE);
    }
  }

  private static Map<String, String> files(InMemorySandbox sandbox) {
    Map<String, String> out = new TreeMap<>();
    sandbox.files().keySet().forEach(p -> out.put(p, new String(sandbox.read(p).bytes(), StandardCharsets.UTF_8)));
    return out;
  }

  private static String json(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }

  /**
   * The reference model. Checkpoints are numbered in creation order (the real history, oldest
   * first, lines up with these numbers); the undo and redo stacks hold those numbers.
   */
  static final class Reference {
    Map<String, String> workspace = new TreeMap<>();
    final List<Map<String, String>> snapshots = new ArrayList<>();
    final List<CheckpointType> types = new ArrayList<>();
    final Map<Integer, Integer> parents = new HashMap<>();
    final Deque<Integer> undo = new ArrayDeque<>();
    final Deque<Integer> redo = new ArrayDeque<>();

    Map<String, String> headState() {
      return snapshots.get(snapshots.size() - 1);
    }

    int add(CheckpointType type) {
      int index = snapshots.size();
      if (index > 0) {
        parents.put(index, index - 1);
      }
      snapshots.add(new TreeMap<>(workspace));
      types.add(type);
      return index;
    }

    void change(CheckpointType type) {
      undo.push(add(type));
      redo.clear();
    }

    List<CheckpointType> typesNewestFirst() {
      List<CheckpointType> out = new ArrayList<>(types);
      java.util.Collections.reverse(out);
      return out;
    }
  }
}
