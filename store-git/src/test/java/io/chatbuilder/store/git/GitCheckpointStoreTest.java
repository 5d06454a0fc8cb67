package io.chatbuilder.store.git;

import static io.chatbuilder.store.git.TestSupport.gitOk;
import static io.chatbuilder.store.git.TestSupport.looseObjectCount;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.RunOutcome;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitCheckpointStoreTest {
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
    store = GitCheckpointStore.builder(gitDir).packEvery(0).build();
  }

  @AfterEach
  void close() {
    store.close();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Map<String, Optional<byte[]>> files(Object... pathsAndContents) {
    Map<String, Optional<byte[]>> out = new LinkedHashMap<>();
    for (int i = 0; i < pathsAndContents.length; i += 2) {
      Object content = pathsAndContents[i + 1];
      out.put((String) pathsAndContents[i], content == null ? Optional.empty() : Optional.of(utf8((String) content)));
    }
    return out;
  }

  Checkpoint append(String app, Optional<Checkpoint> head, Map<String, Optional<byte[]>> changes, String label) {
    return store.append(new CheckpointDraft(app, head.map(Checkpoint::id), head.map(Checkpoint::resultRevisionId),
        changes, CheckpointType.AGENT_RUN, label, Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), 0,
        ChangeStats.EMPTY, Instant.parse("2026-01-02T03:04:05.678Z")));
  }

  @Test
  void hostileLabelsAndFieldsRoundTripExactly() {
    List<String> labels = List.of(
        "",
        "   ",
        "trailing space ",
        "line one\nline two\r\nline three\rfour",
        "\n\nstarts with blank lines",
        "Chatbuilder-Type: undo\n\nChatbuilder-Label: forged",
        "back\\slash \\n not a newline \\u0041",
        "tabs\tand\u0000nul and \u0007bell and \u001b[31m escapes",
        "emoji 🎉 and lone \ud800 surrogate and \udc00 low",
        "\u2028line separator\u2029 and BOM \ufeff",
        "ends with newline\n");
    String app = "labels";
    Optional<Checkpoint> head = Optional.empty();
    for (String label : labels) {
      Map<String, Integer> tools = new TreeMap<>();
      tools.put("write_file", 3);
      tools.put("weird=tool\nname: x", 1);
      Checkpoint c = store.append(new CheckpointDraft(app, head.map(Checkpoint::id), head.map(Checkpoint::resultRevisionId),
          Map.of(), CheckpointType.UNDO, label, tools, Optional.of("run\n=1"), Optional.of(RunOutcome.FAILED),
          head.map(Checkpoint::id), Integer.MAX_VALUE, new ChangeStats(Integer.MAX_VALUE, 0, 0, 0, Long.MAX_VALUE, 0, 1),
          Instant.parse("2026-11-24T10:15:30.123456789Z")));
      assertThat(store.find(app, c.id())).as(label).contains(c);
      assertThat(store.find(app, c.id()).orElseThrow().label()).isEqualTo(label);
      head = Optional.of(c);
    }
    gitOk(gitDir, "fsck", "--strict", "--no-dangling");
    assertThat(gitOk(gitDir, "log", "--format=%s", GitCheckpointStore.refName(app)).text().lines())
        .contains("Chatbuilder-Type: undo", "(undo)", "trailing space", "emoji 🎉 and lone ? surrogate and ? low");
  }

  @Test
  void pathsGitCannotHoldAreRefusedAndNothingIsWritten() {
    Checkpoint first = append("paths", Optional.empty(), files("ok.txt", "ok"), "first");
    long loose = looseObjectCount(gitDir);
    for (String bad : List.of("", "/abs", "a//b", "a/", "./a", "a/../b", "..", ".git/config", "src/.GIT/x",
        "git~1/x", ".git ", "a/.git./b", "nul\u0000byte", "lone\ud800", ".git\u200c/x")) {
      assertThatThrownBy(() -> append("paths", Optional.of(first),
          Map.of("fine.txt", Optional.of(utf8("x")), bad, Optional.of(utf8("evil"))), "bad"))
          .as(bad)
          .isInstanceOf(InvalidArgumentException.class);
    }
    assertThat(store.head("paths")).contains(first);
    assertThat(looseObjectCount(gitDir)).as("no objects written").isEqualTo(loose);
    // names git accepts are stored as-is
    Checkpoint odd = append("paths", Optional.of(first),
        files("a:b", "1", "con", "2", ".gitignore", "3", "with space/ü.txt", "4", "a\\b", "5"), "odd names");
    assertThat(store.revision(odd.resultRevisionId()).files().keySet())
        .containsExactly(".gitignore", "a:b", "a\\b", "con", "ok.txt", "with space/ü.txt");
    gitOk(gitDir, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aPathCannotBeBothFileAndDirectoryUnlessOneIsDeleted() {
    Checkpoint first = append("fd", Optional.empty(), files("a", "file a", "d/x", "x", "d/y/z", "z"), "first");
    assertThatThrownBy(() -> append("fd", Optional.of(first), files("a/b", "under a file"), "bad"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("'a'");
    assertThatThrownBy(() -> append("fd", Optional.of(first), files("d", "file over a dir"), "bad"))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("'d'");
    assertThatThrownBy(() -> append("fd", Optional.of(first), files("n", "1", "n/m", "2"), "bad"))
        .isInstanceOf(InvalidArgumentException.class);
    assertThat(store.head("fd")).contains(first);

    Checkpoint fileToDir = append("fd", Optional.of(first), files("a", null, "a/b", "now a dir"), "file to dir");
    assertThat(store.revision(fileToDir.resultRevisionId()).files().keySet()).containsExactly("a/b", "d/x", "d/y/z");
    Checkpoint dirToFile = append("fd", Optional.of(fileToDir), files("d/x", null, "d/y/z", null, "d", "now a file"),
        "dir to file");
    assertThat(store.revision(dirToFile.resultRevisionId()).files().keySet()).containsExactly("a/b", "d");
    assertThat(store.readFile(dirToFile.resultRevisionId(), "d")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("now a file")));
    Checkpoint emptied = append("fd", Optional.of(dirToFile), files("a/b", null, "d", null), "everything deleted");
    assertThat(store.revision(emptied.resultRevisionId()).files()).isEmpty();
    assertThat(emptied.resultRevisionId()).isEqualTo("4b825dc642cb6eb9a060e54bf8d69288fbee4904"); // git's empty tree
    gitOk(gitDir, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aCheckpointWritesOnlyTheChangedBlobsTheTreesOnTheirPathsAndOneCommit() {
    Map<String, Optional<byte[]>> app = new HashMap<>();
    for (int d = 0; d < 20; d++) {
      for (int f = 0; f < 25; f++) {
        app.put("src/dir" + d + "/sub/file" + f + ".js", Optional.of(utf8("export const v = " + d + "_" + f + ";\n")));
      }
    }
    Checkpoint first = append("ok", Optional.empty(), app, "500 files");
    long before = looseObjectCount(gitDir);
    Checkpoint second = append("ok", Optional.of(first), files("src/dir7/sub/file3.js", "changed"), "one file");
    // 1 blob + 4 trees (root, src, src/dir7, src/dir7/sub) + 1 commit
    assertThat(looseObjectCount(gitDir) - before).isEqualTo(6);
    // unchanged subtrees keep their ids
    String lsBefore = gitOk(gitDir, "ls-tree", first.id() + ":src").text();
    String lsAfter = gitOk(gitDir, "ls-tree", second.id() + ":src").text();
    assertThat(lsAfter.lines().filter(l -> !l.endsWith("\tdir7")))
        .containsExactlyElementsOf(lsBefore.lines().filter(l -> !l.endsWith("\tdir7")).toList());

    long beforeThird = looseObjectCount(gitDir);
    append("ok", Optional.of(second), files("src/dir7/sub/file3.js", "export const v = 7_3;\n"), "back to old bytes");
    // the blob already exists: only trees and the commit are new (and the trees equal old ones too)
    assertThat(looseObjectCount(gitDir) - beforeThird).isEqualTo(1);
  }

  @Test
  void diffAndLookupAgreeWithFullRevisionsOnARandomHistory() {
    java.util.Random random = new java.util.Random(11);
    Map<String, Optional<byte[]>> initial = new HashMap<>();
    for (int i = 0; i < 120; i++) {
      initial.put("d" + (i % 4) + "/e" + (i % 3) + "/f" + i, Optional.of(utf8("v" + i)));
    }
    initial.put("swap", Optional.of(utf8("a file that becomes a directory")));
    List<Checkpoint> made = new java.util.ArrayList<>();
    made.add(append("diff", Optional.empty(), initial, "initial"));
    made.add(append("diff", Optional.of(made.get(0)), files("swap", null, "swap/inner", "now a dir", "d0/e0/f0", null), "swap"));
    for (int step = 0; step < 25; step++) {
      Map<String, Optional<byte[]>> changes = new HashMap<>();
      for (int c = 0; c < 1 + random.nextInt(4); c++) {
        int i = random.nextInt(130);
        String path = "d" + (i % 4) + "/e" + (i % 3) + "/f" + i;
        changes.put(path, random.nextInt(4) == 0 ? Optional.empty() : Optional.of(utf8("s" + step + "c" + c)));
      }
      made.add(append("diff", Optional.of(made.get(made.size() - 1)), changes, "step " + step));
    }
    for (int n = 0; n < 40; n++) {
      String from = made.get(random.nextInt(made.size())).resultRevisionId();
      String to = made.get(random.nextInt(made.size())).resultRevisionId();
      var a = store.revision(from).files();
      var b = store.revision(to).files();
      java.util.SortedMap<String, Optional<io.chatbuilder.core.checkpoint.FileRef>> expected = new TreeMap<>();
      b.forEach((path, ref) -> {
        if (!ref.equals(a.get(path))) {
          expected.put(path, Optional.of(ref));
        }
      });
      a.keySet().stream().filter(path -> !b.containsKey(path)).forEach(path -> expected.put(path, Optional.empty()));
      assertThat(store.diff(from, to)).isEqualTo(expected);

      List<String> asked = new java.util.ArrayList<>(List.of("swap", "swap/inner", "../x", "", "d1", "d1/e1/f13"));
      for (int k = 0; k < 5; k++) {
        asked.add("d" + random.nextInt(4) + "/e" + random.nextInt(3) + "/f" + random.nextInt(130));
      }
      java.util.SortedMap<String, io.chatbuilder.core.checkpoint.FileRef> looked = new TreeMap<>();
      asked.stream().filter(b::containsKey).forEach(path -> looked.put(path, b.get(path)));
      assertThat(store.lookup(to, asked)).isEqualTo(looked);
    }
    assertThat(store.diff(made.get(0).resultRevisionId(), made.get(1).resultRevisionId()).keySet())
        .containsExactly("d0/e0/f0", "swap", "swap/inner");
    assertThatThrownBy(() -> store.diff(made.get(0).resultRevisionId(), "nope")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.lookup("nope", List.of("a"))).isInstanceOf(NotFoundException.class);
  }

  @Test
  void appIdsAreEncodedIntoSafeRefNamesAndListedBack() {
    List<String> ids = List.of("App", "app", "with space", "../../etc/passwd", "x.lock", "a..b", "ü-🎉", "a/b", "%41",
        "-", "@{", "a~b^c:d?e*f[g\\h");
    for (String id : ids) {
      String ref = GitCheckpointStore.refName(id);
      assertThat(ref).startsWith("refs/chatbuilder/apps/").doesNotContain("..");
      assertThat(ref.substring("refs/chatbuilder/apps/".length())).matches("[a-z0-9_%A-F-]+");
      assertThat(org.eclipse.jgit.lib.Repository.isValidRefName(ref)).isTrue();
      append(id, Optional.empty(), files("f", id), id);
    }
    assertThat(store.apps()).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(GitCheckpointStore.refName("App")).isNotEqualToIgnoringCase(GitCheckpointStore.refName("app").toUpperCase());
    for (String id : ids) {
      assertThat(store.head(id)).hasValueSatisfying(h -> assertThat(h.label()).isEqualTo(id));
    }
    assertThatThrownBy(() -> GitCheckpointStore.refName("")).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> GitCheckpointStore.refName("x".repeat(201))).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> store.head("bad\ud800")).isInstanceOf(InvalidArgumentException.class);
    gitOk(gitDir, "fsck", "--strict", "--no-dangling");
    // a ref someone else put in the namespace with a non-canonical name is not an app
    gitOk(gitDir, "update-ref", "refs/chatbuilder/apps/%61pp", store.head("app").orElseThrow().id());
    assertThat(store.apps()).hasSameSizeAs(ids);
  }

  @Test
  void malformedIdsAreNotFoundOrConflictsNeverCrashes() {
    Checkpoint first = append("ids", Optional.empty(), files("a", "a"), "first");
    assertThat(store.find("ids", "ZZZ")).isEmpty();
    assertThat(store.find("ids", first.id().toUpperCase())).contains(first);
    assertThat(store.find("ids", first.resultRevisionId())).as("a tree id is not a checkpoint").isEmpty();
    assertThatThrownBy(() -> store.revision(first.id())).as("a commit is not a revision").isInstanceOf(NotFoundException.class);
    String blob = store.revision(first.resultRevisionId()).files().get("a").blobId();
    assertThatThrownBy(() -> store.revision(blob)).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.readBlob(first.resultRevisionId())).as("a tree is not a blob").isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.readBlob("not hex")).isInstanceOf(NotFoundException.class);
    assertThat(store.readFile(first.resultRevisionId(), "../a")).isEmpty();
    assertThat(store.readFile(first.resultRevisionId(), "a/")).isEmpty();
    assertThatThrownBy(() -> store.list("ids", 5, Optional.of("nope"))).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.list("ids", -1, Optional.empty())).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> append("ids", Optional.of(new Checkpoint("not-hex", "ids", Optional.empty(),
        first.resultRevisionId(), CheckpointType.MANUAL, "", Map.of(), Optional.empty(), Optional.empty(),
        Optional.empty(), 0, ChangeStats.EMPTY, Instant.EPOCH)), Map.of(), "x"))
        .isInstanceOf(ConflictException.class);
  }

  @Test
  void aReopenedStoreSeesEverythingAndRefusesForeignDirectories() throws Exception {
    Checkpoint first = append("persist", Optional.empty(), files("a", "1"), "first");
    Checkpoint second = append("persist", Optional.of(first), files("b", "2"), "second");
    store.close();
    store = GitCheckpointStore.open(gitDir);
    assertThat(store.list("persist", 10, Optional.empty())).containsExactly(second, first);

    Path notGit = Files.createDirectories(tmp.resolve("project"));
    Files.writeString(notGit.resolve("index.html"), "<h1>mine</h1>");
    assertThatThrownBy(() -> GitCheckpointStore.open(notGit)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("not a git repository");
    assertThat(notGit.resolve("HEAD")).doesNotExist();

    Path work = tmp.resolve("work");
    TestSupport.run(List.of("git", "init", "-q", work.toString()));
    assertThatThrownBy(() -> GitCheckpointStore.open(work.resolve(".git"))).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("bare");
  }

  @Test
  void periodicPackingKeepsLooseObjectsBoundedAndConsolidatesPacks() throws Exception {
    store.close();
    int packEvery = 10;
    store = GitCheckpointStore.builder(gitDir).packEvery(packEvery).maxPacks(3).build();
    Optional<Checkpoint> head = Optional.empty();
    List<Checkpoint> all = new java.util.ArrayList<>();
    for (int i = 0; i < 95; i++) {
      head = Optional.of(append("pack", head, files("d/e/f" + (i % 7) + ".txt", "v" + i, "top.txt", "t" + i), "step " + i));
      all.add(head.get());
    }
    store.close(); // waits for background maintenance
    // without packing there would be ~95 × 5 loose objects; each append writes 2 blobs, 3 trees, 1 commit
    assertThat(looseObjectCount(gitDir)).isLessThanOrEqualTo(6L * packEvery);
    long packs;
    try (var files = Files.list(gitDir.resolve("objects/pack"))) {
      packs = files.filter(p -> p.toString().endsWith(".pack")).count();
    }
    assertThat(packs).as("consolidated by gc when over maxPacks").isBetween(1L, 4L);
    store = GitCheckpointStore.open(gitDir);
    assertThat(store.list("pack", 1000, Optional.empty())).hasSize(95).first().isEqualTo(all.get(94));
    assertThat(store.readFile(all.get(50).resultRevisionId(), "d/e/f1.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("v50")));
    gitOk(gitDir, "fsck", "--strict", "--full", "--no-dangling");
    assertThat(gitOk(gitDir, "count-objects", "-v").text()).contains("count: " + looseObjectCount(gitDir));
  }
}
