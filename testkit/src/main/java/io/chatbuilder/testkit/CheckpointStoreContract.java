package io.chatbuilder.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.InvalidArgumentException;
import io.chatbuilder.core.LeaseLostException;
import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointLabels;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.checkpoint.ForkDraft;
import io.chatbuilder.core.checkpoint.LabelQuery;
import io.chatbuilder.core.checkpoint.LabelledCheckpoint;
import io.chatbuilder.core.checkpoint.Lease;
import io.chatbuilder.core.checkpoint.LeaseStore;
import io.chatbuilder.core.checkpoint.Revision;
import io.chatbuilder.core.checkpoint.RunOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link CheckpointStore} must have. Extend it and implement
 * {@link #createStore()}; each test uses fresh random app ids, so a store backed by a shared
 * database does not need to be emptied between tests.
 */
public abstract class CheckpointStoreContract {

  /** A store to test. Called once before each test. */
  protected abstract CheckpointStore createStore() throws Exception;

  /** Releases what {@link #createStore()} opened. */
  protected void closeStore(CheckpointStore store) throws Exception {
    if (store instanceof AutoCloseable closeable) {
      closeable.close();
    }
  }

  protected CheckpointStore store;

  @BeforeEach
  void openStore() throws Exception {
    store = createStore();
  }

  @AfterEach
  void releaseStore() throws Exception {
    closeStore(store);
  }

  protected static String newAppId() {
    return "app-" + UUID.randomUUID();
  }

  protected static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A draft with only the required parts; tests fill in the rest with {@link DraftBuilder}. */
  protected static DraftBuilder draft(String appId) {
    return new DraftBuilder(appId);
  }

  /** Appends an initial checkpoint with {@code files}. */
  protected Checkpoint appendInitial(String appId, Map<String, byte[]> files) {
    DraftBuilder d = draft(appId).type(CheckpointType.INITIAL);
    files.forEach(d::put);
    return store.append(d.build());
  }

  @Test
  void emptyAppHasNoHeadNoHistory() {
    String app = newAppId();
    assertThat(store.head(app)).isEmpty();
    assertThat(store.list(app, 10, Optional.empty())).isEmpty();
    assertThat(store.find(app, "does-not-exist")).isEmpty();
  }

  @Test
  void initialCheckpointRecordsFilesByteForByte() {
    String app = newAppId();
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("index.html", utf8("<!doctype html><h1>Hi</h1>\n"));
    files.put("src/main.js", utf8("console.log('héllo ✓');\n"));
    files.put("src/assets/logo.bin", new byte[] {0, 1, 2, (byte) 0xff, 0, 10, 13});
    files.put("empty.txt", new byte[0]);
    Checkpoint c = appendInitial(app, files);

    assertThat(c.appId()).isEqualTo(app);
    assertThat(c.parentId()).isEmpty();
    assertThat(c.type()).isEqualTo(CheckpointType.INITIAL);
    assertThat(store.head(app)).contains(c);
    Revision revision = store.revision(c.resultRevisionId());
    assertThat(revision.files().keySet()).containsExactly("empty.txt", "index.html", "src/assets/logo.bin", "src/main.js");
    files.forEach((path, bytes) -> {
      FileRef ref = revision.files().get(path);
      assertThat(ref.size()).as(path).isEqualTo(bytes.length);
      assertThat(ref.blobId()).as(path).isEqualTo(store.blobIdOf(bytes));
      assertThat(store.readBlob(ref.blobId())).as(path).isEqualTo(bytes);
      assertThat(store.readFile(c.resultRevisionId(), path)).as(path).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes));
    });
    assertThat(store.readFile(c.resultRevisionId(), "missing.txt")).isEmpty();
  }

  @Test
  void everyFieldRoundTrips() {
    String app = newAppId();
    Checkpoint first = appendInitial(app, Map.of("a.txt", utf8("a")));
    Instant at = Instant.parse("2026-11-24T10:15:30.123Z");
    Checkpoint second = store.append(draft(app)
        .expectedHead(first.id())
        .base(first.resultRevisionId())
        .put("a.txt", utf8("b"))
        .type(CheckpointType.AGENT_RUN)
        .label("Add a dark-mode toggle — “quotes” & ünïcode")
        .toolSummary(Map.of("write_file", 3, "read_file", 1))
        .runId("run-42")
        .runOutcome(RunOutcome.CANCELLED)
        .source(first.id())
        .conversationLength(7)
        .stats(new ChangeStats(1, 2, 3, 4, 50, 60, 7000))
        .createdAt(at)
        .build());

    Checkpoint read = store.find(app, second.id()).orElseThrow();
    assertThat(read).isEqualTo(second);
    assertThat(read.parentId()).contains(first.id());
    assertThat(read.type()).isEqualTo(CheckpointType.AGENT_RUN);
    assertThat(read.label()).isEqualTo("Add a dark-mode toggle — “quotes” & ünïcode");
    assertThat(read.toolSummary()).isEqualTo(Map.of("write_file", 3, "read_file", 1));
    assertThat(read.runId()).contains("run-42");
    assertThat(read.runOutcome()).contains(RunOutcome.CANCELLED);
    assertThat(read.sourceCheckpointId()).contains(first.id());
    assertThat(read.conversationLength()).isEqualTo(7);
    assertThat(read.stats()).isEqualTo(new ChangeStats(1, 2, 3, 4, 50, 60, 7000));
    assertThat(read.createdAt()).isEqualTo(at);
    assertThat(store.head(app)).contains(second);
    assertThat(store.list(app, 10, Optional.empty())).containsExactly(second, first);
  }

  @Test
  void changesApplyOnTheBaseRevisionAndOldRevisionsStayIntact() {
    String app = newAppId();
    Checkpoint first = appendInitial(app, Map.of("keep.txt", utf8("keep"), "edit.txt", utf8("v1"), "gone.txt", utf8("bye")));
    Checkpoint second = store.append(draft(app).expectedHead(first.id()).base(first.resultRevisionId())
        .put("edit.txt", utf8("v2"))
        .delete("gone.txt")
        .put("new/dir/file.txt", utf8("new"))
        .delete("never-existed.txt")
        .build());

    SortedMap<String, FileRef> after = store.revision(second.resultRevisionId()).files();
    assertThat(after.keySet()).containsExactly("edit.txt", "keep.txt", "new/dir/file.txt");
    assertThat(store.readFile(second.resultRevisionId(), "edit.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("v2")));
    assertThat(store.readFile(second.resultRevisionId(), "gone.txt")).isEmpty();
    assertThat(after.get("keep.txt")).isEqualTo(store.revision(first.resultRevisionId()).files().get("keep.txt"));

    SortedMap<String, FileRef> before = store.revision(first.resultRevisionId()).files();
    assertThat(before.keySet()).containsExactly("edit.txt", "gone.txt", "keep.txt");
    assertThat(store.readFile(first.resultRevisionId(), "edit.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("v1")));
  }

  @Test
  void lookupAndDiffAgreeWithFullRevisions() {
    String app = newAppId();
    Checkpoint first = appendInitial(app, Map.of("same.txt", utf8("s"), "edit.txt", utf8("1"), "del.txt", utf8("d"), "dir/a.txt", utf8("a")));
    Checkpoint second = store.append(draft(app).expectedHead(first.id()).base(first.resultRevisionId())
        .put("edit.txt", utf8("2")).delete("del.txt").put("dir/b.txt", utf8("b")).build());
    SortedMap<String, FileRef> looked = store.lookup(second.resultRevisionId(), List.of("edit.txt", "del.txt", "dir/b.txt", "nope"));
    assertThat(looked.keySet()).containsExactly("dir/b.txt", "edit.txt");
    assertThat(looked.get("edit.txt").blobId()).isEqualTo(store.blobIdOf(utf8("2")));
    assertThat(looked.get("dir/b.txt").size()).isEqualTo(1);

    SortedMap<String, Optional<FileRef>> diff = store.diff(first.resultRevisionId(), second.resultRevisionId());
    assertThat(diff.keySet()).containsExactly("del.txt", "dir/b.txt", "edit.txt");
    assertThat(diff.get("del.txt")).isEmpty();
    assertThat(diff.get("edit.txt")).hasValueSatisfying(r -> assertThat(r.blobId()).isEqualTo(store.blobIdOf(utf8("2"))));
    SortedMap<String, Optional<FileRef>> back = store.diff(second.resultRevisionId(), first.resultRevisionId());
    assertThat(back.keySet()).containsExactly("del.txt", "dir/b.txt", "edit.txt");
    assertThat(back.get("dir/b.txt")).isEmpty();
    assertThat(store.diff(first.resultRevisionId(), first.resultRevisionId())).isEmpty();
  }

  @Test
  void checkpointWithoutFileChangesKeepsTheRevisionContent() {
    String app = newAppId();
    Checkpoint first = appendInitial(app, Map.of("a.txt", utf8("a")));
    Checkpoint second = store.append(draft(app).expectedHead(first.id()).base(first.resultRevisionId())
        .type(CheckpointType.MANUAL).label("named point").build());
    assertThat(store.revision(second.resultRevisionId()).files())
        .isEqualTo(store.revision(first.resultRevisionId()).files());
  }

  @Test
  void storedBytesCannotBeChangedThroughArrays() {
    String app = newAppId();
    byte[] bytes = utf8("original");
    Checkpoint c = appendInitial(app, Map.of("f.txt", bytes));
    bytes[0] = 'X';
    byte[] read = store.readFile(c.resultRevisionId(), "f.txt").orElseThrow();
    read[1] = 'Y';
    String blob = store.revision(c.resultRevisionId()).files().get("f.txt").blobId();
    store.readBlob(blob)[2] = 'Z';
    assertThat(store.readFile(c.resultRevisionId(), "f.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("original")));
    assertThat(store.readBlob(blob)).isEqualTo(utf8("original"));
  }

  @Test
  void readBlobsReadsManyAtOnceAndRefusesUnknownIds() {
    String app = newAppId();
    Map<String, byte[]> files = new TreeMap<>();
    // More than one batch of a batching store, with duplicates of one content under two paths.
    for (int i = 0; i < 1_001; i++) {
      files.put("d" + (i % 7) + "/f" + i + ".txt", utf8("content " + i));
    }
    files.put("copy.txt", utf8("content 5"));
    Checkpoint c = appendInitial(app, files);
    SortedMap<String, FileRef> refs = store.revision(c.resultRevisionId()).files();
    List<String> ids = new ArrayList<>();
    refs.values().forEach(r -> ids.add(r.blobId()));
    Map<String, byte[]> read = store.readBlobs(ids);
    assertThat(read).hasSize(1_001);
    refs.forEach((path, ref) -> assertThat(read.get(ref.blobId())).as(path).isEqualTo(files.get(path)));
    read.get(refs.get("copy.txt").blobId())[0] = 'X';
    assertThat(store.readBlob(refs.get("copy.txt").blobId())).isEqualTo(utf8("content 5"));
    assertThat(store.readBlobs(List.of())).isEmpty();
    String unknown = store.blobIdOf(utf8("never stored " + UUID.randomUUID()));
    assertThatThrownBy(() -> store.readBlobs(List.of(ids.get(0), unknown)))
        .isInstanceOf(NotFoundException.class).hasMessageContaining(unknown);
  }

  @Test
  void contentsOfReadsEveryPathOfARevision() {
    String app = newAppId();
    Map<String, byte[]> files = new TreeMap<>();
    for (int i = 0; i < 450; i++) {
      files.put("src/f" + i + ".js", utf8("export const n = " + (i % 100) + ";"));
    }
    Checkpoint c = appendInitial(app, files);
    SortedMap<String, FileRef> refs = store.revision(c.resultRevisionId()).files();
    SortedMap<String, byte[]> contents = store.contentsOf(refs);
    assertThat(contents.keySet()).containsExactlyElementsOf(files.keySet());
    files.forEach((path, bytes) -> assertThat(contents.get(path)).as(path).isEqualTo(bytes));
    assertThat(store.contentsOf(Map.of())).isEmpty();
  }

  @Test
  void contentAddressingIsDeterministic() {
    byte[] a = utf8("same bytes");
    assertThat(store.blobIdOf(a)).isEqualTo(store.blobIdOf(utf8("same bytes")));
    assertThat(store.blobIdOf(a)).isNotEqualTo(store.blobIdOf(utf8("same bytes!")));
    String app = newAppId();
    Checkpoint c = appendInitial(app, Map.of("one.txt", a, "two/copy.txt", a.clone()));
    Revision r = store.revision(c.resultRevisionId());
    assertThat(r.files().get("one.txt").blobId()).isEqualTo(r.files().get("two/copy.txt").blobId());
  }

  @Test
  void staleExpectedHeadIsAConflictAndWritesNothing() {
    String app = newAppId();
    Checkpoint first = appendInitial(app, Map.of("a.txt", utf8("1")));
    Checkpoint second = store.append(draft(app).expectedHead(first.id()).base(first.resultRevisionId()).put("a.txt", utf8("2")).build());

    assertThatThrownBy(() -> store.append(draft(app).expectedHead(first.id()).base(first.resultRevisionId())
        .put("a.txt", utf8("lost?")).build()))
        .isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> store.append(draft(app).base(first.resultRevisionId()).put("a.txt", utf8("x")).build()))
        .as("an app with a head cannot take a draft that expects none")
        .isInstanceOf(ConflictException.class);

    assertThat(store.head(app)).contains(second);
    assertThat(store.list(app, 10, Optional.empty())).containsExactly(second, first);
  }

  @Test
  void expectingAHeadOfAnEmptyAppIsAConflict() {
    String app = newAppId();
    assertThatThrownBy(() -> store.append(draft(app).expectedHead("c-that-does-not-exist").put("a", utf8("a")).build()))
        .isInstanceOf(ConflictException.class);
    assertThat(store.head(app)).isEmpty();
  }

  @Test
  void unknownIdsAreNotFound() {
    assertThatThrownBy(() -> store.revision("no-such-revision")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.readBlob(store.blobIdOf(utf8("never stored " + UUID.randomUUID()))))
        .isInstanceOf(NotFoundException.class);
    String app = newAppId();
    assertThatThrownBy(() -> store.append(draft(app).base("no-such-revision").put("a", utf8("a")).build()))
        .isInstanceOf(NotFoundException.class);
    assertThat(store.head(app)).isEmpty();
  }

  @Test
  void appsAreIsolated() {
    String a = newAppId();
    String b = newAppId();
    Checkpoint ca = appendInitial(a, Map.of("f.txt", utf8("a")));
    Checkpoint cb = appendInitial(b, Map.of("f.txt", utf8("b")));
    assertThat(store.find(b, ca.id())).isEmpty();
    assertThat(store.find(a, cb.id())).isEmpty();
    assertThat(store.list(a, 10, Optional.empty())).containsExactly(ca);
    assertThat(store.apps()).contains(a, b);
  }

  @Test
  void listPagesNewestFirst() {
    String app = newAppId();
    List<Checkpoint> made = new ArrayList<>();
    Checkpoint head = appendInitial(app, Map.of("n.txt", utf8("0")));
    made.add(head);
    for (int i = 1; i < 25; i++) {
      head = store.append(draft(app).expectedHead(head.id()).base(head.resultRevisionId())
          .put("n.txt", utf8(Integer.toString(i))).label("step " + i).build());
      made.add(head);
    }
    List<Checkpoint> newestFirst = new ArrayList<>(made);
    java.util.Collections.reverse(newestFirst);

    List<Checkpoint> page1 = store.list(app, 10, Optional.empty());
    assertThat(page1).containsExactlyElementsOf(newestFirst.subList(0, 10));
    List<Checkpoint> page2 = store.list(app, 10, Optional.of(page1.get(9).id()));
    assertThat(page2).containsExactlyElementsOf(newestFirst.subList(10, 20));
    List<Checkpoint> page3 = store.list(app, 10, Optional.of(page2.get(9).id()));
    assertThat(page3).containsExactlyElementsOf(newestFirst.subList(20, 25));
    assertThat(store.list(app, 0, Optional.empty())).isEmpty();
    for (int i = 1; i < made.size(); i++) {
      assertThat(made.get(i).parentId()).contains(made.get(i - 1).id());
    }
  }

  @Test
  void longRandomHistoryReadsBackExactly() {
    String app = newAppId();
    Random random = new Random(42);
    Map<String, byte[]> model = new TreeMap<>();
    for (int i = 0; i < 150; i++) {
      model.put("src/dir" + (i % 7) + "/file" + i + ".js", utf8("export const v" + i + " = " + i + ";\n"));
    }
    Checkpoint head = appendInitial(app, model);
    List<Map.Entry<String, Map<String, byte[]>>> states = new ArrayList<>();
    states.add(Map.entry(head.resultRevisionId(), new TreeMap<>(model)));
    List<String> paths = new ArrayList<>(model.keySet());
    for (int step = 0; step < 60; step++) {
      DraftBuilder d = draft(app).expectedHead(head.id()).base(head.resultRevisionId());
      int changes = 1 + random.nextInt(3);
      for (int c = 0; c < changes; c++) {
        int action = random.nextInt(3);
        if (action == 0 || paths.isEmpty()) {
          String p = "gen/s" + step + "/n" + c + ".txt";
          byte[] bytes = utf8("new " + step + "/" + c);
          d.put(p, bytes);
          model.put(p, bytes);
          paths.add(p);
        } else if (action == 1) {
          String p = paths.get(random.nextInt(paths.size()));
          byte[] bytes = new byte[random.nextInt(64)];
          random.nextBytes(bytes);
          d.put(p, bytes);
          model.put(p, bytes);
        } else {
          String p = paths.remove(random.nextInt(paths.size()));
          d.delete(p);
          model.remove(p);
        }
      }
      head = store.append(d.build());
      states.add(Map.entry(head.resultRevisionId(), new TreeMap<>(model)));
    }
    for (Map.Entry<String, Map<String, byte[]>> state : states) {
      Revision r = store.revision(state.getKey());
      assertThat(r.files().keySet()).containsExactlyElementsOf(state.getValue().keySet());
      state.getValue().forEach((path, bytes) -> {
        assertThat(store.readBlob(r.files().get(path).blobId())).as(path).isEqualTo(bytes);
        assertThat(store.readFile(state.getKey(), path)).as(path).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes));
      });
    }
  }

  @Test
  void largeAndBinaryFilesRoundTrip() {
    String app = newAppId();
    byte[] big = new byte[3 * 1024 * 1024];
    new Random(7).nextBytes(big);
    byte[] text = utf8("line\n".repeat(200_000));
    Checkpoint c = appendInitial(app, Map.of("assets/big.bin", big, "big.txt", text));
    assertThat(store.readFile(c.resultRevisionId(), "assets/big.bin")).hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
    assertThat(store.readFile(c.resultRevisionId(), "big.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(text));
  }

  @Test
  void concurrentAppendsOnOneHeadHaveExactlyOneWinner() throws Exception {
    String app = newAppId();
    Checkpoint first = appendInitial(app, Map.of("a.txt", utf8("0")));
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Optional<Checkpoint>>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int n = i;
        Callable<Optional<Checkpoint>> task = () -> {
          start.await();
          try {
            return Optional.of(store.append(draft(app).expectedHead(first.id()).base(first.resultRevisionId())
                .put("a.txt", utf8("writer " + n)).label("writer " + n).build()));
          } catch (ConflictException e) {
            return Optional.empty();
          }
        };
        results.add(pool.submit(task));
      }
      start.countDown();
      List<Checkpoint> winners = new ArrayList<>();
      for (Future<Optional<Checkpoint>> f : results) {
        f.get(60, TimeUnit.SECONDS).ifPresent(winners::add);
      }
      assertThat(winners).hasSize(1);
      assertThat(store.head(app)).contains(winners.get(0));
      assertThat(store.list(app, 100, Optional.empty())).containsExactly(winners.get(0), first);
      String label = winners.get(0).label();
      assertThat(store.readFile(winners.get(0).resultRevisionId(), "a.txt"))
          .hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(label));
    } finally {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ forks

  /** A fork of {@code source} onto {@code app}, as the facade makes it. */
  protected static ForkDraft forkDraft(String app, Checkpoint source) {
    return new ForkDraft(app, source.appId(), source.id(), "Fork of " + source.appId(), 0,
        new ChangeStats(3, 0, 0, 0, 3, 0, 30), Instant.now().truncatedTo(ChronoUnit.MILLIS));
  }

  @Test
  void forkSharesTheSourceRevisionAndRecordsWhereItCameFrom() {
    String source = newAppId();
    Checkpoint one = appendInitial(source, Map.of("index.html", utf8("<h1>one</h1>"), "src/a.js", utf8("a")));
    Checkpoint two = store.append(draft(source).expectedHead(one.id()).base(one.resultRevisionId())
        .put("index.html", utf8("<h1>two</h1>")).build());
    String app = newAppId();
    ForkDraft draft = forkDraft(app, one);
    Checkpoint fork = store.fork(draft);

    assertThat(fork.appId()).isEqualTo(app);
    assertThat(fork.type()).isEqualTo(CheckpointType.FORK);
    assertThat(fork.parentId()).isEmpty();
    assertThat(fork.resultRevisionId()).as("the source's revision, shared").isEqualTo(one.resultRevisionId());
    assertThat(fork.sourceAppId()).contains(source);
    assertThat(fork.sourceCheckpointId()).contains(one.id());
    assertThat(fork.label()).isEqualTo(draft.label());
    assertThat(fork.stats()).isEqualTo(draft.stats());
    assertThat(fork.createdAt()).isEqualTo(draft.createdAt());
    assertThat(fork.runId()).isEmpty();
    assertThat(fork.toolSummary()).isEmpty();
    assertThat(store.head(app)).contains(fork);
    assertThat(store.find(app, fork.id())).contains(fork);
    assertThat(store.list(app, 10, Optional.empty())).containsExactly(fork);
    assertThat(store.apps()).contains(source, app);
    assertThat(store.readFile(fork.resultRevisionId(), "index.html"))
        .hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("<h1>one</h1>")));
    assertThat(store.revision(fork.resultRevisionId()).files().keySet()).containsExactly("index.html", "src/a.js");
    assertThat(store.head(source)).as("the source is untouched").contains(two);
    assertThat(store.list(source, 10, Optional.empty())).containsExactly(two, one);
    assertThat(store.find(source, fork.id())).as("the fork's checkpoint belongs to the new app only").isEmpty();
  }

  @Test
  void aForkOfAForkAndAForkOfTheHeadWork() {
    String source = newAppId();
    Checkpoint one = appendInitial(source, Map.of("f.txt", utf8("1")));
    String first = newAppId();
    Checkpoint fork = store.fork(forkDraft(first, one));
    Checkpoint edited = store.append(draft(first).expectedHead(fork.id()).base(fork.resultRevisionId())
        .put("f.txt", utf8("2")).build());
    String second = newAppId();
    Checkpoint again = store.fork(forkDraft(second, edited));
    assertThat(again.sourceAppId()).contains(first);
    assertThat(again.sourceCheckpointId()).contains(edited.id());
    assertThat(store.readFile(again.resultRevisionId(), "f.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("2")));
    String third = newAppId();
    Checkpoint ofFork = store.fork(forkDraft(third, fork));
    assertThat(ofFork.resultRevisionId()).isEqualTo(one.resultRevisionId());
  }

  @Test
  void forkOntoAnAppThatHasCheckpointsIsAConflictAndWritesNothing() {
    String source = newAppId();
    Checkpoint one = appendInitial(source, Map.of("f.txt", utf8("source")));
    String target = newAppId();
    Checkpoint existing = appendInitial(target, Map.of("g.txt", utf8("target")));
    assertThatThrownBy(() -> store.fork(forkDraft(target, one))).isInstanceOf(ConflictException.class)
        .hasMessageContaining(target);
    assertThat(store.head(target)).contains(existing);
    assertThat(store.list(target, 10, Optional.empty())).containsExactly(existing);
    assertThatThrownBy(() -> store.fork(forkDraft(source, one))).as("onto itself")
        .isInstanceOf(ConflictException.class);
    assertThat(store.list(source, 10, Optional.empty())).containsExactly(one);
  }

  @Test
  void forkOfAnUnknownCheckpointOrOfAnotherAppsCheckpointIsNotFound() {
    String a = newAppId();
    String b = newAppId();
    Checkpoint ca = appendInitial(a, Map.of("f.txt", utf8("a")));
    Checkpoint cb = appendInitial(b, Map.of("f.txt", utf8("b")));
    String target = newAppId();
    ForkDraft wrongApp = new ForkDraft(target, a, cb.id(), "fork", 0, ChangeStats.EMPTY, Instant.now());
    assertThatThrownBy(() -> store.fork(wrongApp)).isInstanceOf(NotFoundException.class).hasMessageContaining(cb.id());
    ForkDraft unknownApp = new ForkDraft(target, newAppId(), ca.id(), "fork", 0, ChangeStats.EMPTY, Instant.now());
    assertThatThrownBy(() -> store.fork(unknownApp)).isInstanceOf(NotFoundException.class);
    for (String id : List.of("no-such-checkpoint", "", "0000000000000000000000000000000000000000", "' OR '1'='1")) {
      ForkDraft unknown = new ForkDraft(target, a, id, "fork", 0, ChangeStats.EMPTY, Instant.now());
      assertThatThrownBy(() -> store.fork(unknown)).as(id).isInstanceOf(NotFoundException.class);
    }
    assertThat(store.head(target)).isEmpty();
    assertThat(store.list(target, 10, Optional.empty())).isEmpty();
    assertThat(store.apps()).doesNotContain(target);
  }

  @Test
  void changesInAForkNeverTouchTheSource() {
    String source = newAppId();
    Checkpoint one = appendInitial(source, Map.of("keep.txt", utf8("keep"), "edit.txt", utf8("v1")));
    SortedMap<String, FileRef> sourceFiles = store.revision(one.resultRevisionId()).files();
    String app = newAppId();
    Checkpoint fork = store.fork(forkDraft(app, one));
    Checkpoint edit = store.append(draft(app).expectedHead(fork.id()).base(fork.resultRevisionId())
        .put("edit.txt", utf8("forked")).delete("keep.txt").put("new.txt", utf8("n")).build());
    // what an undo in the fork appends: the fork's files again
    Checkpoint undo = store.append(draft(app).expectedHead(edit.id()).base(edit.resultRevisionId())
        .type(CheckpointType.UNDO).source(edit.id())
        .put("edit.txt", utf8("v1")).put("keep.txt", utf8("keep")).delete("new.txt").build());
    assertThat(store.revision(undo.resultRevisionId()).files()).isEqualTo(sourceFiles);
    assertThat(store.list(app, 10, Optional.empty())).containsExactly(undo, edit, fork);
    assertThat(store.head(source)).contains(one);
    assertThat(store.list(source, 10, Optional.empty())).containsExactly(one);
    assertThat(store.revision(one.resultRevisionId()).files()).isEqualTo(sourceFiles);
    assertThat(store.readFile(one.resultRevisionId(), "edit.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("v1")));
    // and the source goes on by itself
    Checkpoint sourceTwo = store.append(draft(source).expectedHead(one.id()).base(one.resultRevisionId())
        .put("edit.txt", utf8("source v2")).build());
    assertThat(store.head(app)).contains(undo);
    assertThat(store.readFile(fork.resultRevisionId(), "edit.txt")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("v1")));
    assertThat(sourceTwo.parentId()).contains(one.id());
  }

  @Test
  void concurrentForksOntoOneNewAppHaveExactlyOneWinner() throws Exception {
    String source = newAppId();
    Checkpoint one = appendInitial(source, Map.of("f.txt", utf8("1")));
    Checkpoint two = store.append(draft(source).expectedHead(one.id()).base(one.resultRevisionId())
        .put("f.txt", utf8("2")).build());
    for (int round = 0; round < 5; round++) {
      String app = newAppId();
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        List<Future<Optional<Checkpoint>>> results = new ArrayList<>();
        for (Checkpoint from : List.of(one, two)) {
          results.add(pool.submit(() -> {
            start.await();
            try {
              return Optional.of(store.fork(forkDraft(app, from)));
            } catch (ConflictException e) {
              return Optional.<Checkpoint>empty();
            }
          }));
        }
        start.countDown();
        List<Checkpoint> winners = new ArrayList<>();
        for (Future<Optional<Checkpoint>> f : results) {
          f.get(60, TimeUnit.SECONDS).ifPresent(winners::add);
        }
        assertThat(winners).as("round " + round).hasSize(1);
        assertThat(store.list(app, 10, Optional.empty())).containsExactly(winners.get(0));
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aForkUnderALeaseIsFenced() {
    org.junit.jupiter.api.Assumptions.assumeTrue(store instanceof LeaseStore, "this store keeps no leases");
    LeaseStore leases = (LeaseStore) store;
    String source = newAppId();
    Checkpoint one = appendInitial(source, Map.of("f.txt", utf8("1")));
    String app = newAppId();
    Lease lease = leases.acquire(app, "forker", java.time.Duration.ofMinutes(1));
    leases.release(lease);
    assertThatThrownBy(() -> store.fork(forkDraft(app, one), lease)).isInstanceOf(LeaseLostException.class);
    assertThat(store.head(app)).isEmpty();
    Lease onSource = leases.acquire(source, "other", java.time.Duration.ofMinutes(1));
    assertThatThrownBy(() -> store.fork(forkDraft(app, one), onSource)).isInstanceOf(InvalidArgumentException.class);
    leases.release(onSource);
    Lease live = leases.acquire(app, "forker", java.time.Duration.ofMinutes(1));
    assertThat(store.fork(forkDraft(app, one), live).type()).isEqualTo(CheckpointType.FORK);
    leases.release(live);
  }

  // ------------------------------------------------------------------ labels

  @Test
  void labelsAreAddedListedAndRemovedWithoutRewritingTheHistory() {
    String app = newAppId();
    Checkpoint one = appendInitial(app, Map.of("f.txt", utf8("1")));
    Checkpoint two = store.append(draft(app).expectedHead(one.id()).base(one.resultRevisionId()).put("f.txt", utf8("2")).build());
    Checkpoint three = store.append(draft(app).expectedHead(two.id()).base(two.resultRevisionId()).put("f.txt", utf8("3")).build());
    assertThat(store.labels(app, one.id())).isEmpty();
    assertThat(store.labelled(app)).isEmpty();

    assertThat(store.addLabel(app, one.id(), "v1")).containsExactly("v1");
    assertThat(store.addLabel(app, one.id(), "release/2026-12")).containsExactly("release/2026-12", "v1");
    assertThat(store.addLabel(app, one.id(), "v1")).as("idempotent").containsExactly("release/2026-12", "v1");
    assertThat(store.addLabel(app, three.id(), CheckpointLabels.BOOKMARK)).containsExactly("bookmark");
    assertThat(store.addLabel(app, three.id(), "before redesign")).containsExactly("before redesign", "bookmark");

    List<LabelledCheckpoint> labelled = store.labelled(app);
    assertThat(labelled).extracting(LabelledCheckpoint::checkpoint).containsExactly(three, one);
    assertThat(labelled.get(0).labels()).containsExactly("before redesign", "bookmark");
    assertThat(labelled.get(0).bookmarked()).isTrue();
    assertThat(labelled.get(1).labels()).containsExactly("release/2026-12", "v1");
    assertThat(labelled.get(1).bookmarked()).isFalse();

    assertThat(store.removeLabel(app, one.id(), "v1")).containsExactly("release/2026-12");
    assertThat(store.removeLabel(app, one.id(), "v1")).as("removing a missing label").containsExactly("release/2026-12");
    assertThat(store.removeLabel(app, two.id(), "never")).isEmpty();
    assertThat(store.removeLabel(app, one.id(), "release/2026-12")).isEmpty();
    assertThat(store.labelled(app)).extracting(LabelledCheckpoint::checkpoint).containsExactly(three);

    // metadata only: the checkpoints, their order and the head are what they were
    assertThat(store.list(app, 10, Optional.empty())).containsExactly(three, two, one);
    assertThat(store.find(app, one.id())).contains(one);
    assertThat(store.head(app)).contains(three);
    Checkpoint four = store.append(draft(app).expectedHead(three.id()).base(three.resultRevisionId()).put("f.txt", utf8("4")).build());
    assertThat(four.parentId()).contains(three.id());
    assertThat(store.labels(app, three.id())).containsExactly("before redesign", "bookmark");
  }

  @Test
  void searchByExactLabelOrPrefix() {
    String app = newAppId();
    Checkpoint one = appendInitial(app, Map.of("f.txt", utf8("1")));
    Checkpoint two = store.append(draft(app).expectedHead(one.id()).base(one.resultRevisionId()).put("f.txt", utf8("2")).build());
    Checkpoint three = store.append(draft(app).expectedHead(two.id()).base(two.resultRevisionId()).put("f.txt", utf8("3")).build());
    store.addLabel(app, one.id(), "v1");
    store.addLabel(app, two.id(), "v1.1");
    store.addLabel(app, two.id(), "a_b");
    store.addLabel(app, three.id(), "axb");
    store.addLabel(app, three.id(), "V1-upper");

    assertThat(store.findByLabel(app, LabelQuery.exact("v1"))).extracting(LabelledCheckpoint::checkpoint).containsExactly(one);
    assertThat(store.findByLabel(app, LabelQuery.prefix("v1"))).extracting(LabelledCheckpoint::checkpoint).containsExactly(two, one);
    assertThat(store.findByLabel(app, LabelQuery.prefix("v1")).get(0).labels()).as("all labels of a match")
        .containsExactly("a_b", "v1.1");
    assertThat(store.findByLabel(app, LabelQuery.prefix("V"))).as("case-sensitive")
        .extracting(LabelledCheckpoint::checkpoint).containsExactly(three);
    assertThat(store.findByLabel(app, LabelQuery.prefix("a_"))).as("_ is no wildcard")
        .extracting(LabelledCheckpoint::checkpoint).containsExactly(two);
    assertThat(store.findByLabel(app, LabelQuery.exact("v"))).isEmpty();
    assertThat(store.findByLabel(app, LabelQuery.prefix("zzz"))).isEmpty();
    assertThat(store.findByLabel(newAppId(), LabelQuery.prefix("v"))).isEmpty();
  }

  @Test
  void labelsAreNormalizedAndUnicodeWorks() {
    String app = newAppId();
    Checkpoint one = appendInitial(app, Map.of("f.txt", utf8("1")));
    String decomposed = "cafe\u0301 #1";
    assertThat(store.addLabel(app, one.id(), decomposed)).containsExactly("caf\u00e9 #1");
    assertThat(store.findByLabel(app, LabelQuery.exact("caf\u00e9 #1"))).hasSize(1);
    assertThat(store.findByLabel(app, LabelQuery.prefix("cafe\u0301"))).hasSize(1);
    assertThat(store.addLabel(app, one.id(), "日本語 版 v2")).contains("日本語 版 v2");
    assertThat(store.addLabel(app, one.id(), "x".repeat(CheckpointLabels.MAX_LENGTH))).hasSize(3);
    assertThat(store.removeLabel(app, one.id(), decomposed)).doesNotContain("caf\u00e9 #1");
  }

  @Test
  void hostileLabelsAreRefusedAndStoreNothing() {
    String app = newAppId();
    Checkpoint one = appendInitial(app, Map.of("f.txt", utf8("1")));
    List<String> hostile = List.of("", " ", " leading", "trailing ", "two  spaces", "x".repeat(CheckpointLabels.MAX_LENGTH + 1),
        "y".repeat(10_000), "tab\there", "new\nline", "nul\0byte", "bell\u0007", "del\u007f", "bidi\u202eevil",
        "zero\u200bwidth", "'; DROP TABLE cb_checkpoints; --", "a' OR '1'='1", "100%", "semi;colon", "back\\slash",
        "quote\"d", "<script>", "$(rm -rf /)", "..", "-dash-first", "/slash-first", "\ud800lone", "emoji \ud83d\ude00");
    for (String label : hostile) {
      assertThatThrownBy(() -> store.addLabel(app, one.id(), label)).as(label.length() > 40 ? label.substring(0, 40) : label)
          .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("label");
      assertThatThrownBy(() -> store.removeLabel(app, one.id(), label)).isInstanceOf(InvalidArgumentException.class);
    }
    assertThatThrownBy(() -> LabelQuery.prefix("")).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> LabelQuery.prefix("%")).isInstanceOf(InvalidArgumentException.class);
    assertThat(store.labels(app, one.id())).isEmpty();
    assertThat(store.labelled(app)).isEmpty();
    assertThat(store.list(app, 10, Optional.empty())).containsExactly(one);
  }

  @Test
  void labelsNeedACheckpointOfTheApp() {
    String a = newAppId();
    String b = newAppId();
    Checkpoint ca = appendInitial(a, Map.of("f.txt", utf8("a")));
    Checkpoint cb = appendInitial(b, Map.of("f.txt", utf8("b")));
    assertThatThrownBy(() -> store.addLabel(a, cb.id(), "v1")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.addLabel(a, "no-such-checkpoint", "v1")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.addLabel(newAppId(), ca.id(), "v1")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.removeLabel(a, cb.id(), "v1")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> store.labels(a, cb.id())).isInstanceOf(NotFoundException.class);
    store.addLabel(b, cb.id(), "v1");
    assertThat(store.labelled(a)).isEmpty();
    assertThat(store.findByLabel(a, LabelQuery.exact("v1"))).isEmpty();
    assertThat(store.labels(a, ca.id())).isEmpty();
  }

  @Test
  void aCheckpointHasAtMostSoManyLabels() {
    String app = newAppId();
    Checkpoint one = appendInitial(app, Map.of("f.txt", utf8("1")));
    for (int i = 0; i < CheckpointLabels.MAX_PER_CHECKPOINT; i++) {
      store.addLabel(app, one.id(), "l" + i);
    }
    assertThatThrownBy(() -> store.addLabel(app, one.id(), "one-too-many")).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining(Integer.toString(CheckpointLabels.MAX_PER_CHECKPOINT));
    assertThat(store.addLabel(app, one.id(), "l0")).as("re-adding one it has is fine").hasSize(CheckpointLabels.MAX_PER_CHECKPOINT);
    assertThat(store.labels(app, one.id())).hasSize(CheckpointLabels.MAX_PER_CHECKPOINT).doesNotContain("one-too-many");
  }

  @Test
  void labelsOfASourceAndItsForkAreSeparate() {
    String source = newAppId();
    Checkpoint one = appendInitial(source, Map.of("f.txt", utf8("1")));
    store.addLabel(source, one.id(), "source-label");
    String app = newAppId();
    Checkpoint fork = store.fork(forkDraft(app, one));
    assertThat(store.labels(app, fork.id())).isEmpty();
    store.addLabel(app, fork.id(), "fork-label");
    assertThat(store.labels(source, one.id())).containsExactly("source-label");
    assertThat(store.findByLabel(source, LabelQuery.prefix("fork"))).isEmpty();
    assertThat(store.findByLabel(app, LabelQuery.prefix("fork"))).extracting(LabelledCheckpoint::checkpoint).containsExactly(fork);
  }

  @Test
  void concurrentLabelEditsAreNotLost() throws Exception {
    String app = newAppId();
    Checkpoint one = appendInitial(app, Map.of("f.txt", utf8("1")));
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int n = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 3; i++) {
            store.addLabel(app, one.id(), "t" + n + "-" + i);
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.labels(app, one.id())).hasSize(12);
  }

  /** Fluent construction of {@link CheckpointDraft}s for tests. */
  public static final class DraftBuilder {
    private final String appId;
    private Optional<String> expectedHead = Optional.empty();
    private Optional<String> base = Optional.empty();
    private final Map<String, Optional<byte[]>> changes = new HashMap<>();
    private CheckpointType type = CheckpointType.AGENT_RUN;
    private String label = "";
    private Map<String, Integer> toolSummary = Map.of();
    private Optional<String> runId = Optional.empty();
    private Optional<RunOutcome> outcome = Optional.empty();
    private Optional<String> source = Optional.empty();
    private int conversationLength;
    private ChangeStats stats = ChangeStats.EMPTY;
    private Instant createdAt = Instant.now().truncatedTo(ChronoUnit.MILLIS);

    DraftBuilder(String appId) {
      this.appId = appId;
    }

    public DraftBuilder expectedHead(String id) {
      expectedHead = Optional.of(id);
      return this;
    }

    public DraftBuilder base(String revisionId) {
      base = Optional.of(revisionId);
      return this;
    }

    public DraftBuilder put(String path, byte[] content) {
      changes.put(path, Optional.of(content));
      return this;
    }

    public DraftBuilder delete(String path) {
      changes.put(path, Optional.empty());
      return this;
    }

    public DraftBuilder type(CheckpointType type) {
      this.type = type;
      return this;
    }

    public DraftBuilder label(String label) {
      this.label = label;
      return this;
    }

    public DraftBuilder toolSummary(Map<String, Integer> toolSummary) {
      this.toolSummary = toolSummary;
      return this;
    }

    public DraftBuilder runId(String runId) {
      this.runId = Optional.of(runId);
      return this;
    }

    public DraftBuilder runOutcome(RunOutcome outcome) {
      this.outcome = Optional.of(outcome);
      return this;
    }

    public DraftBuilder source(String checkpointId) {
      this.source = Optional.of(checkpointId);
      return this;
    }

    public DraftBuilder conversationLength(int length) {
      this.conversationLength = length;
      return this;
    }

    public DraftBuilder stats(ChangeStats stats) {
      this.stats = stats;
      return this;
    }

    public DraftBuilder createdAt(Instant at) {
      this.createdAt = at;
      return this;
    }

    public CheckpointDraft build() {
      return new CheckpointDraft(appId, expectedHead, base, changes, type, label, toolSummary, runId, outcome,
          source, conversationLength, stats, createdAt);
    }
  }
}
