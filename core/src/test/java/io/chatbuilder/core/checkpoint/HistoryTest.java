package io.chatbuilder.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.NothingToDoException;
import io.chatbuilder.core.PathRefusedException;
import io.chatbuilder.core.model.ChatMessage;
import io.chatbuilder.core.testing.ScriptedModel;
import io.chatbuilder.core.testing.InMemorySandbox;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HistoryTest {
  private final ConcurrentLinkedQueue<ScriptedModel.Turn> turns = new ConcurrentLinkedQueue<>();
  private InMemorySandbox sandbox;
  private InMemoryCheckpointStore store;
  private ChatBuilder cb;

  @BeforeEach
  void open() {
    sandbox = InMemorySandbox.builder("app").file("index.html", "<h1>v0</h1>\n").file("src/main.js", "console.log(0);\n").build();
    store = new InMemoryCheckpointStore();
    cb = ChatBuilder.builder().model(ScriptedModel.responding(r -> Optional.ofNullable(turns.poll())))
        .sandboxes(id -> sandbox).checkpointStore(store).build();
  }

  @AfterEach
  void close() {
    cb.close();
  }

  private Checkpoint run(String message, String path, String content) throws Exception {
    turns.add(ScriptedModel.Turn.builder().toolCall("c1", "write_file",
        "{\"path\":\"" + path + "\",\"content\":\"" + content + "\"}").build());
    turns.add(ScriptedModel.Turn.builder().text("done").build());
    return cb.chat("app", message).completion().get(30, TimeUnit.SECONDS).checkpoint().orElseThrow();
  }

  private String file(String path) {
    return new String(sandbox.read(path).bytes(), StandardCharsets.UTF_8);
  }

  @Test
  void undoWalksBackAndRedoWalksForward() throws Exception {
    Checkpoint one = run("one", "index.html", "<h1>v1</h1>");
    Checkpoint two = run("two", "index.html", "<h1>v2</h1>");
    assertThat(cb.undoRedoState("app")).isEqualTo(new ChatBuilder.UndoRedoState(true, false));

    Checkpoint undo2 = cb.undo("app");
    assertThat(file("index.html")).isEqualTo("<h1>v1</h1>");
    assertThat(undo2.type()).isEqualTo(CheckpointType.UNDO);
    assertThat(undo2.sourceCheckpointId()).contains(two.id());
    assertThat(undo2.label()).isEqualTo("Undo: two");
    assertThat(undo2.resultRevisionId()).isNotEqualTo(two.resultRevisionId());

    cb.undo("app");
    assertThat(file("index.html")).isEqualTo("<h1>v0</h1>\n");
    assertThatThrownBy(() -> cb.undo("app")).isInstanceOf(NothingToDoException.class);

    Checkpoint redo1 = cb.redo("app");
    assertThat(redo1.type()).isEqualTo(CheckpointType.REDO);
    assertThat(redo1.label()).isEqualTo("Redo: one");
    assertThat(file("index.html")).isEqualTo("<h1>v1</h1>");
    cb.redo("app");
    assertThat(file("index.html")).isEqualTo("<h1>v2</h1>");
    assertThatThrownBy(() -> cb.redo("app")).isInstanceOf(NothingToDoException.class);
    // the redone change is itself undoable
    cb.undo("app");
    assertThat(file("index.html")).isEqualTo("<h1>v1</h1>");
    assertThat(store.readFile(one.resultRevisionId(), "index.html")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("<h1>v1</h1>"));
  }

  @Test
  void aNewChangeClearsRedo() throws Exception {
    run("one", "a.txt", "1");
    cb.undo("app");
    run("other", "b.txt", "2");
    assertThatThrownBy(() -> cb.redo("app")).isInstanceOf(NothingToDoException.class);
    assertThat(sandbox.files()).containsKey("b.txt").doesNotContainKey("a.txt");
  }

  @Test
  void outsideEditsAreCapturedBeforeUndoOverwritesThem() throws Exception {
    run("one", "index.html", "<h1>v1</h1>");
    sandbox.write("index.html", "<h1>typed by hand</h1>".getBytes(StandardCharsets.UTF_8));
    Checkpoint undo = cb.undo("app");
    List<Checkpoint> list = cb.checkpoints("app", 10);
    assertThat(list).extracting(Checkpoint::type)
        .containsExactly(CheckpointType.UNDO, CheckpointType.MANUAL, CheckpointType.AGENT_RUN, CheckpointType.INITIAL);
    // undo took back the latest change: the hand edit, which stays restorable
    assertThat(file("index.html")).isEqualTo("<h1>v1</h1>");
    Checkpoint manual = list.get(1);
    assertThat(undo.sourceCheckpointId()).contains(manual.id());
    assertThat(cb.readFile("app", manual.id(), "index.html")).hasValueSatisfying(
        b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("<h1>typed by hand</h1>"));
  }

  @Test
  void restoreJumpsAndCanRewindTheConversation() throws Exception {
    Checkpoint one = run("one", "a.txt", "1");
    run("two", "a.txt", "2");
    int before = cb.conversation("app").size();
    Checkpoint restored = cb.restore("app", one.id(), HistoryOptions.rewindingConversation());
    assertThat(restored.type()).isEqualTo(CheckpointType.RESTORE);
    assertThat(restored.sourceCheckpointId()).contains(one.id());
    assertThat(file("a.txt")).isEqualTo("1");
    List<ChatMessage> conversation = cb.conversation("app");
    assertThat(conversation).hasSize(one.conversationLength() + 1).hasSizeLessThan(before);
    assertThat(conversation.get(conversation.size() - 1)).isInstanceOfSatisfying(ChatMessage.Note.class,
        n -> assertThat(n.text()).contains("restored").contains(one.id()));
    assertThatThrownBy(() -> cb.restore("app", one.id())).isInstanceOf(NothingToDoException.class);
    // restore is undoable
    cb.undo("app");
    assertThat(file("a.txt")).isEqualTo("2");
  }

  @Test
  void revertFileSetsOneFileOrDeletesIt() throws Exception {
    Checkpoint initial = cb.initialize("app");
    Checkpoint one = run("one", "index.html", "<h1>v1</h1>");
    run("two", "new.js", "x");
    Checkpoint revert = cb.revertFile("app", initial.id(), "index.html");
    assertThat(file("index.html")).isEqualTo("<h1>v0</h1>\n");
    assertThat(sandbox.files()).containsKey("new.js");
    assertThat(revert.type()).isEqualTo(CheckpointType.REVERT_FILE);
    assertThat(revert.stats().filesModified()).isEqualTo(1);
    cb.revertFile("app", one.id(), "new.js");
    assertThat(sandbox.files()).doesNotContainKey("new.js");
    assertThatThrownBy(() -> cb.revertFile("app", one.id(), "../x")).isInstanceOf(PathRefusedException.class);
    assertThatThrownBy(() -> cb.revertFile("app", one.id(), "new.js")).isInstanceOf(io.chatbuilder.core.NotFoundException.class);
  }

  @Test
  void diffListsChangesWithUnifiedText() throws Exception {
    Checkpoint initial = cb.initialize("app");
    turns.add(ScriptedModel.Turn.builder()
        .toolCall("c1", "write_file", "{\"path\":\"index.html\",\"content\":\"<h1>v1</h1>\\n<p>new</p>\\n\"}")
        .toolCall("c2", "rename_file", "{\"from\":\"src/main.js\",\"to\":\"src/app.js\"}")
        .toolCall("c3", "write_file", "{\"path\":\"logo.bin\",\"content\":\"\\u0000\\u0001\"}")
        .build());
    turns.add(ScriptedModel.Turn.builder().text("done").build());
    Checkpoint after = cb.chat("app", "edit").completion().get(30, TimeUnit.SECONDS).checkpoint().orElseThrow();
    CheckpointDiff diff = cb.diff("app", initial.id(), after.id());
    assertThat(diff.files()).extracting(f -> f.change().path()).containsExactly("index.html", "logo.bin", "src/app.js");
    CheckpointDiff.FileDiff html = diff.files().get(0);
    assertThat(html.change().kind()).isEqualTo(ChangeKind.MODIFIED);
    assertThat(html.unifiedDiff()).contains("--- a/index.html\n+++ b/index.html\n@@ -1,1 +1,2 @@\n-<h1>v0</h1>\n+<h1>v1</h1>\n+<p>new</p>\n");
    assertThat(diff.files().get(1).change().binary()).isTrue();
    assertThat(diff.files().get(1).unifiedDiff()).isEmpty();
    assertThat(diff.files().get(2).change().kind()).isEqualTo(ChangeKind.RENAMED);
    assertThat(diff.files().get(2).change().previousPath()).contains("src/main.js");
    assertThat(after.stats().filesRenamed()).isEqualTo(1);
  }

  @Test
  void aSecondHostMovingTheHeadGivesAConflictAndLosesNothing() throws Exception {
    run("one", "a.txt", "1");
    InMemorySandbox other = InMemorySandbox.builder("app").build();
    ConcurrentLinkedQueue<ScriptedModel.Turn> otherTurns = new ConcurrentLinkedQueue<>();
    try (ChatBuilder otherHost = ChatBuilder.builder().model(ScriptedModel.responding(r -> Optional.ofNullable(otherTurns.poll())))
        .sandboxes(id -> other).checkpointStore(store).build()) {
      // Host B has an empty workspace: it records it, then loads the shared head.
      otherHost.resync("app");
      assertThat(new String(other.read("a.txt").bytes(), StandardCharsets.UTF_8)).isEqualTo("1");
      otherTurns.add(ScriptedModel.Turn.builder().toolCall("c1", "write_file", "{\"path\":\"b.txt\",\"content\":\"from B\"}").build());
      otherTurns.add(ScriptedModel.Turn.builder().text("done").build());
      assertThat(otherHost.chat("app", "B's change").completion().get(30, TimeUnit.SECONDS).checkpoint()).isPresent();

      // Host A's workspace is behind: history operations and runs conflict and change nothing.
      sandbox.write("local.txt", "edited on A".getBytes(StandardCharsets.UTF_8));
      Checkpoint headBefore = store.head("app").orElseThrow();
      assertThatThrownBy(() -> cb.undo("app")).isInstanceOf(ConflictException.class).hasMessageContaining("another host");
      turns.add(ScriptedModel.Turn.builder().text("never").build());
      io.chatbuilder.core.RunResult failed = cb.chat("app", "A's change").completion().get(30, TimeUnit.SECONDS);
      assertThat(failed.errorCode()).contains(io.chatbuilder.core.ErrorCode.CONFLICT);
      assertThat(store.head("app")).contains(headBefore);
      assertThat(file("local.txt")).isEqualTo("edited on A");

      // Resync keeps A's edits in history and loads B's files.
      cb.resync("app");
      assertThat(file("b.txt")).isEqualTo("from B");
      assertThat(sandbox.files()).doesNotContainKey("local.txt");
      Checkpoint saved = cb.checkpoints("app", 2).get(1);
      assertThat(saved.type()).isEqualTo(CheckpointType.MANUAL);
      assertThat(cb.readFile("app", saved.id(), "local.txt")).isPresent();
      cb.undo("app");
      assertThat(file("local.txt")).isEqualTo("edited on A");
    }
  }

  @Test
  void undoAcrossAFileBecomingADirectory() throws Exception {
    run("file", "lib", "I am a file");
    turns.add(ScriptedModel.Turn.builder()
        .toolCall("c1", "delete_file", "{\"path\":\"lib\"}")
        .toolCall("c2", "write_file", "{\"path\":\"lib/util.js\",\"content\":\"export {}\"}").build());
    turns.add(ScriptedModel.Turn.builder().text("done").build());
    cb.chat("app", "make lib a directory").completion().get(30, TimeUnit.SECONDS);
    assertThat(file("lib/util.js")).isEqualTo("export {}");
    cb.undo("app");
    assertThat(file("lib")).isEqualTo("I am a file");
    cb.redo("app");
    assertThat(file("lib/util.js")).isEqualTo("export {}");
    assertThat(sandbox.files()).doesNotContainKey("lib");
  }
}
