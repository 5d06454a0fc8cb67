package io.chatbuilder.store.git;

import static io.chatbuilder.store.git.TestSupport.gitOk;
import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.ForkDraft;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fork is O(1) in the repository (one commit object and one ref, measured as bytes on disk and
 * objects counted by {@code git count-objects}), and stock git reads forks and labels: the fork's
 * tree is the source's, its trailers name the source, labels sit on their own ref and never move
 * the app's ref.
 */
class GitForkAndLabelsTest {
  private static final int FILES = 2_000;

  @TempDir Path tmp;
  Path gitDir;
  GitCheckpointStore store;

  @BeforeEach
  void open() {
    gitDir = tmp.resolve("repo.git");
    store = GitCheckpointStore.builder(gitDir).packEvery(0).build();
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void forkingA2000FileAppWritesOneCommitAndOneRef() throws Exception {
    Map<String, Optional<byte[]>> files = new TreeMap<>();
    for (int i = 0; i < FILES; i++) {
      files.put("src/dir" + (i % 50) + "/component" + i + ".jsx", Optional.of(
          ("export default function C" + i + "() { return <div>" + i + "</div>; }\n").getBytes(StandardCharsets.UTF_8)));
    }
    long empty = bytes(gitDir);
    Checkpoint initial = store.append(new CheckpointDraft("source", Optional.empty(), Optional.empty(), files,
        CheckpointType.INITIAL, "Initial files", Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), 0,
        ChangeStats.EMPTY, Instant.now().truncatedTo(ChronoUnit.MILLIS)));
    long imported = bytes(gitDir);
    long objectsBefore = objectCount();

    Checkpoint fork = store.fork(new ForkDraft("remix", "source", initial.id(), "Fork of source", 0,
        new ChangeStats(FILES, 0, 0, 0, FILES, 0, 0), Instant.now().truncatedTo(ChronoUnit.MILLIS)));
    long forked = bytes(gitDir);

    assertThat(objectCount() - objectsBefore).as("objects written by the fork: its commit").isEqualTo(1);
    // a loose commit (~300 B compressed), the ref (41 B) and its reflog line: no tree or blob
    assertThat(forked - imported).isLessThan(2_048);
    System.out.printf("git fork cost[%d files]: import %d B on disk; fork %d B, %d object%n",
        FILES, imported - empty, forked - imported, objectCount() - objectsBefore);

    String ref = GitCheckpointStore.refName("remix");
    assertThat(gitOk(gitDir, "rev-parse", ref + "^{tree}").text().strip()).isEqualTo(initial.resultRevisionId());
    assertThat(gitOk(gitDir, "rev-parse", ref).text().strip()).isEqualTo(fork.id());
    assertThat(gitOk(gitDir, "log", "--format=%(trailers:key=Chatbuilder-Type,valueonly)%(trailers:key=Chatbuilder-Source-App,valueonly)%(trailers:key=Chatbuilder-Source,valueonly)", ref).text())
        .isEqualTo("fork\nsource\n" + initial.id() + "\n\n");
    assertThat(gitOk(gitDir, "rev-list", "--count", ref).text().strip()).as("the fork starts a new history").isEqualTo("1");
    gitOk(gitDir, "fsck", "--strict");
  }

  @Test
  void labelsLiveOnTheirOwnRefAndNeverMoveTheAppsRef() {
    Checkpoint one = store.append(new CheckpointDraft("app", Optional.empty(), Optional.empty(),
        Map.of("a.txt", Optional.of("a".getBytes(StandardCharsets.UTF_8))), CheckpointType.INITIAL, "Initial files",
        Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), 0, ChangeStats.EMPTY,
        Instant.now().truncatedTo(ChronoUnit.MILLIS)));
    String appRef = GitCheckpointStore.refName("app");
    String before = gitOk(gitDir, "rev-parse", appRef).text();
    store.addLabel("app", one.id(), "v1");
    store.addLabel("app", one.id(), "bookmark");
    store.removeLabel("app", one.id(), "v1");
    assertThat(gitOk(gitDir, "rev-parse", appRef).text()).isEqualTo(before);
    String labelsRef = "refs/chatbuilder/labels/app";
    assertThat(gitOk(gitDir, "show", labelsRef + ":" + one.id()).text()).isEqualTo("bookmark\n");
    assertThat(gitOk(gitDir, "rev-list", "--count", labelsRef).text().strip()).as("one commit per edit").isEqualTo("3");
    assertThat(store.apps()).containsExactly("app");
    gitOk(gitDir, "fsck", "--strict");
    // a second store object on the repository reads the same labels
    try (GitCheckpointStore reopened = GitCheckpointStore.open(gitDir)) {
      assertThat(reopened.labels("app", one.id())).containsExactly("bookmark");
    }
  }

  private long objectCount() {
    long count = 0;
    for (String line : gitOk(gitDir, "count-objects", "-v").text().split("\n")) {
      if (line.startsWith("count: ") || line.startsWith("in-pack: ")) {
        count += Long.parseLong(line.substring(line.indexOf(' ') + 1).strip());
      }
    }
    return count;
  }

  private static long bytes(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    }
  }
}
