package io.chatbuilder.store.git;

import static io.chatbuilder.store.git.TestSupport.git;
import static io.chatbuilder.store.git.TestSupport.gitOk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.StoreException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.Revision;
import io.chatbuilder.core.checkpoint.RunOutcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real {@code git} CLI reads, checks, copies and edits what the store wrote. */
class GitCliInteropTest {
  @TempDir Path tmp;
  Path gitDir;
  GitCheckpointStore store;

  @BeforeAll
  static void probe() {
    TestSupport.probeFileSystemOnce();
  }

  @BeforeEach
  void open() {
    gitDir = tmp.resolve("history.git");
    store = GitCheckpointStore.open(gitDir);
  }

  @AfterEach
  void close() {
    store.close();
  }

  static List<Checkpoint> newestFirst(List<Checkpoint> made) {
    List<Checkpoint> out = new ArrayList<>(made);
    java.util.Collections.reverse(out);
    return out;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static CheckpointDraft draft(String app, Optional<Checkpoint> head, Map<String, Optional<byte[]>> changes,
      CheckpointType type, String label) {
    return new CheckpointDraft(app, head.map(Checkpoint::id), head.map(Checkpoint::resultRevisionId), changes, type,
        label, Map.of("write_file", 2), Optional.of("run-1"), Optional.of(RunOutcome.COMPLETED), Optional.empty(), 3,
        ChangeStats.EMPTY, Instant.parse("2026-11-24T10:15:30.123Z"));
  }

  /** A small app history: binary, empty, unicode-named and nested files, a deletion that empties a directory. */
  List<Checkpoint> writeHistory(String app) {
    byte[] binary = new byte[4096];
    new Random(1).nextBytes(binary);
    Map<String, Optional<byte[]>> initial = new HashMap<>();
    initial.put("index.html", Optional.of(utf8("<!doctype html>\n<h1>Hi</h1>\n")));
    initial.put("src/héllo ✓.js", Optional.of(utf8("console.log('✓');\r\n")));
    initial.put("src/assets/logo.bin", Optional.of(binary));
    initial.put("src/deep/er/still/file.txt", Optional.of(utf8("deep")));
    initial.put("empty.txt", Optional.of(new byte[0]));
    List<Checkpoint> made = new ArrayList<>();
    made.add(store.append(draft(app, Optional.empty(), initial, CheckpointType.INITIAL, "Initial files")));
    made.add(store.append(draft(app, Optional.of(made.get(0)),
        Map.of("index.html", Optional.of(utf8("<!doctype html>\n<h1>Dark mode</h1>\n")),
            "src/deep/er/still/file.txt", Optional.empty()),
        CheckpointType.AGENT_RUN, "Add a dark-mode toggle — “quotes” & ünïcode")));
    store.pack(); // the rest stays loose: git must read both
    made.add(store.append(draft(app, Optional.of(made.get(1)),
        Map.of("src/new.css", Optional.of(utf8("body{}"))), CheckpointType.AGENT_RUN,
        "Multi-line label\nsecond line\n\nthird: paragraph")));
    made.add(store.append(draft(app, Optional.of(made.get(2)), Map.of(), CheckpointType.MANUAL, "")));
    return made;
  }

  @Test
  void fsckStrictIsClean() {
    writeHistory("app-fsck");
    writeHistory("App With Spaces/ü");
    TestSupport.GitResult fsck = gitOk(gitDir, "fsck", "--strict", "--full", "--no-dangling");
    assertThat(fsck.text() + fsck.stderr()).doesNotContainIgnoringCase("error").doesNotContainIgnoringCase("warning");
  }

  @Test
  void gitLogListsTheCheckpointsWithTheirLabels() {
    List<Checkpoint> made = writeHistory("app-log");
    String ref = GitCheckpointStore.refName("app-log");
    assertThat(gitOk(gitDir, "log", "--format=%s", ref).text().lines())
        .containsExactly("(manual)", "Multi-line label", "Add a dark-mode toggle — “quotes” & ünïcode", "Initial files");
    assertThat(gitOk(gitDir, "log", "--format=%H", ref).text().lines())
        .containsExactlyElementsOf(newestFirst(made).stream().map(Checkpoint::id).toList());
    // git's own trailer parser sees the fields; values are escaped, one line each
    assertThat(gitOk(gitDir, "log", "--format=%(trailers:key=Chatbuilder-Label,valueonly,separator=%x00)", ref).text().lines())
        .containsExactly("", "Multi-line label\\nsecond line\\n\\nthird: paragraph",
            "Add a dark-mode toggle — “quotes” & ünïcode", "Initial files");
    assertThat(gitOk(gitDir, "log", "-1", "--format=%(trailers:key=Chatbuilder-Type,valueonly)", made.get(1).id()).text().strip())
        .isEqualTo("agent_run");
    assertThat(gitOk(gitDir, "log", "-1", "--format=%B", made.get(2).id()).text())
        .startsWith("Multi-line label\n\nsecond line\n\nthird: paragraph\n\nChatbuilder-App: app-log\n");
  }

  @Test
  void gitShowReturnsTheExactBytesAndIdsAgree() throws Exception {
    List<Checkpoint> made = writeHistory("app-show");
    for (Checkpoint c : made) {
      assertThat(gitOk(gitDir, "rev-parse", c.id() + "^{tree}").text().strip()).isEqualTo(c.resultRevisionId());
      Revision r = store.revision(c.resultRevisionId());
      for (Map.Entry<String, io.chatbuilder.core.checkpoint.FileRef> file : r.files().entrySet()) {
        byte[] expected = store.readFile(c.resultRevisionId(), file.getKey()).orElseThrow();
        assertThat(gitOk(gitDir, "show", c.id() + ":" + file.getKey()).stdout()).as(file.getKey()).isEqualTo(expected);
        assertThat(gitOk(gitDir, "cat-file", "-s", file.getValue().blobId()).text().strip())
            .isEqualTo(Long.toString(file.getValue().size()));
        Path onDisk = tmp.resolve("blob");
        Files.write(onDisk, expected);
        assertThat(gitOk(gitDir, "hash-object", onDisk.toString()).text().strip()).isEqualTo(file.getValue().blobId());
      }
    }
    // the emptied directory is gone, not an empty tree
    assertThat(git(gitDir, "cat-file", "-e", made.get(1).id() + ":src/deep").exitCode()).isNotZero();
    assertThat(gitOk(gitDir, "diff", "--name-status", made.get(0).id(), made.get(1).id()).text().lines())
        .containsExactly("M\tindex.html", "D\tsrc/deep/er/still/file.txt");
  }

  @Test
  void refsCanBePushedToAnotherRepositoryAndReadThere() {
    List<Checkpoint> made = writeHistory("app-push");
    Path other = tmp.resolve("other.git");
    TestSupport.run(List.of("git", "init", "-q", "--bare", other.toString()));
    gitOk(gitDir, "push", "-q", other.toString(), "refs/chatbuilder/*:refs/chatbuilder/*");
    gitOk(other, "fsck", "--strict", "--no-dangling");
    try (GitCheckpointStore copy = GitCheckpointStore.open(other)) {
      assertThat(copy.apps()).containsExactly("app-push");
      assertThat(copy.list("app-push", 10, Optional.empty())).containsExactlyElementsOf(newestFirst(made));
    }
  }

  @Test
  void storeFollowsRefMovesMadeWithGitAndIgnoresCommitsOffTheRef() {
    List<Checkpoint> made = writeHistory("app-moves");
    String ref = GitCheckpointStore.refName("app-moves");
    Checkpoint last = made.get(3);
    // A well-formed checkpoint commit that is not on the ref (like a loser of a race) is not found.
    String message = gitOk(gitDir, "log", "-1", "--format=%B", last.id()).text();
    Path msgFile = tmp.resolve("msg");
    try {
      Files.writeString(msgFile, message);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String offRef = gitOk(gitDir, "commit-tree", made.get(0).resultRevisionId(), "-p", last.id(), "-F", msgFile.toString())
        .text().strip();
    assertThat(store.find("app-moves", offRef)).isEmpty();
    assertThat(store.find("other-app", made.get(0).id())).isEmpty();

    gitOk(gitDir, "update-ref", ref, offRef, last.id());
    assertThat(store.head("app-moves")).hasValueSatisfying(h -> {
      assertThat(h.id()).isEqualTo(offRef);
      assertThat(h.parentId()).contains(last.id());
      assertThat(h.resultRevisionId()).isEqualTo(made.get(0).resultRevisionId());
    });
    assertThat(store.find("app-moves", offRef)).isPresent();

    gitOk(gitDir, "update-ref", ref, made.get(1).id()); // rewound outside the store
    assertThat(store.list("app-moves", 10, Optional.empty())).containsExactly(made.get(1), made.get(0));
    assertThat(store.find("app-moves", last.id())).isEmpty();

    // a commit that is not a checkpoint is refused with a clear error, not misread
    String plain = gitOk(gitDir, "commit-tree", made.get(0).resultRevisionId(), "-m", "hand-made commit").text().strip();
    gitOk(gitDir, "update-ref", ref, plain);
    assertThatThrownBy(() -> store.head("app-moves"))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("not a ChatBuilder checkpoint");
  }
}
