package io.chatbuilder.store.git;

import static io.chatbuilder.store.git.TestSupport.gitOk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two JVMs append to the same app of the same repository. */
class TwoProcessRaceTest {
  static final String APP = "raced-app";

  @TempDir Path tmp;
  Path gitDir;
  GitCheckpointStore store;
  Process child;
  PrintStream toChild;
  BufferedReader fromChild;

  @BeforeAll
  static void probe() {
    TestSupport.probeFileSystemOnce();
  }

  @BeforeEach
  void open() throws IOException {
    gitDir = tmp.resolve("shared.git");
    store = GitCheckpointStore.builder(gitDir).packEvery(7).build();
    Checkpoint first = store.append(new CheckpointDraft(APP, Optional.empty(), Optional.empty(),
        Map.of("counter.txt", Optional.of(bytes("initial"))), CheckpointType.INITIAL, "initial", Map.of(),
        Optional.empty(), Optional.empty(), Optional.empty(), 0, ChangeStats.EMPTY, Instant.now()));
    assertThat(first.parentId()).isEmpty();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), RaceWriter.class.getName(),
        gitDir.toString(), APP)
        .redirectError(tmp.resolve("child.err").toFile())
        .start();
    toChild = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8);
    fromChild = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    assertThat(readChild()).isEqualTo("ready");
  }

  @AfterEach
  void close() throws Exception {
    if (child.isAlive()) {
      toChild.println("quit");
      if (!child.waitFor(30, TimeUnit.SECONDS)) {
        child.destroyForcibly();
      }
    }
    store.close();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  String readChild() {
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try {
        return fromChild.readLine();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    try {
      String s = line.get(60, TimeUnit.SECONDS);
      if (s == null) {
        throw new AssertionError("child exited: " + Files.readString(tmp.resolve("child.err")));
      }
      return s;
    } catch (Exception e) {
      throw new AssertionError("no answer from child", e);
    }
  }

  @Test
  void eachRoundHasExactlyOneWinnerAndNoUpdateIsLost() {
    int rounds = 40;
    List<String> winners = new ArrayList<>();
    int childWins = 0;
    for (int round = 1; round <= rounds; round++) {
      Checkpoint head = store.head(APP).orElseThrow();
      long startAt = System.currentTimeMillis() + 15;
      toChild.println("go " + head.id() + " " + head.resultRevisionId() + " " + round + " " + startAt);
      while (System.currentTimeMillis() < startAt) {
        Thread.onSpinWait();
      }
      Optional<Checkpoint> mine;
      try {
        mine = Optional.of(RaceWriter.append(store, APP, head.id(), head.resultRevisionId(), "parent " + round));
      } catch (ConflictException e) {
        mine = Optional.empty();
      }
      String theirs = readChild();
      if (mine.isPresent()) {
        assertThat(theirs).as("round %d: both won", round).isEqualTo("conflict");
        winners.add(mine.get().id());
      } else {
        assertThat(theirs).as("round %d: nobody won", round).startsWith("won ");
        winners.add(theirs.substring(4));
        childWins++;
      }
    }
    List<Checkpoint> history = store.list(APP, 1000, Optional.empty());
    assertThat(history).hasSize(rounds + 1);
    List<String> expected = new ArrayList<>(winners);
    Collections.reverse(expected);
    assertThat(history.subList(0, rounds)).extracting(Checkpoint::id).containsExactlyElementsOf(expected);
    for (Checkpoint c : history) {
      assertThat(store.readFile(c.resultRevisionId(), "counter.txt")).as(c.label())
          .hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(c.label()));
    }
    // every winner's own file survives in the final revision: nothing was overwritten by a loser
    assertThat(store.revision(history.get(0).resultRevisionId()).files().keySet())
        .filteredOn(p -> p.startsWith("src/")).hasSize(rounds);
    assertThat(childWins).as("the child won some rounds, the parent others").isBetween(0, rounds);
    gitOk(gitDir, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aWriterKilledMidStreamLeavesAConsistentRepository() throws Exception {
    Checkpoint head = store.head(APP).orElseThrow();
    toChild.println("spam " + head.id() + " " + head.resultRevisionId());
    List<String> acknowledged = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      String line = readChild();
      assertThat(line).startsWith("won ");
      acknowledged.add(line.substring(4));
    }
    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

    Path lock = gitDir.resolve(GitCheckpointStore.refName(APP) + ".lock");
    if (Files.exists(lock)) {
      // killed while holding the ref lock: appends must say so instead of writing
      Checkpoint h = store.head(APP).orElseThrow();
      assertThatThrownBy(() -> RaceWriter.append(store, APP, h.id(), h.resultRevisionId(), "blocked"))
          .isInstanceOf(ConflictException.class).hasMessageContaining(".lock");
      Files.delete(lock);
    }
    List<Checkpoint> history = store.list(APP, 10_000, Optional.empty());
    assertThat(history.stream().map(Checkpoint::id).toList()).containsAll(acknowledged);
    for (Checkpoint c : history) {
      assertThat(store.readFile(c.resultRevisionId(), "counter.txt")).as(c.label())
          .hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(c.label()));
    }
    Checkpoint last = history.get(0);
    Checkpoint after = RaceWriter.append(store, APP, last.id(), last.resultRevisionId(), "after the crash");
    assertThat(store.head(APP)).contains(after);
    gitOk(gitDir, "fsck", "--strict", "--no-dangling");
  }

  @Test
  void aStaleLockIsAConflictThatNamesTheLockAndWritesNothing() throws Exception {
    Checkpoint head = store.head(APP).orElseThrow();
    Path lock = gitDir.resolve(GitCheckpointStore.refName(APP) + ".lock");
    Files.write(lock, bytes(head.id() + "\n"));
    assertThatThrownBy(() -> RaceWriter.append(store, APP, head.id(), head.resultRevisionId(), "blocked"))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining(lock.getFileName().toString());
    assertThat(store.head(APP)).contains(head);
    Files.delete(lock);
    Checkpoint next = RaceWriter.append(store, APP, head.id(), head.resultRevisionId(), "unblocked");
    assertThat(store.head(APP)).contains(next);
  }
}
