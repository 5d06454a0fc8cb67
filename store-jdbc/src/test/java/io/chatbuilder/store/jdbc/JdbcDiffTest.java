package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.NotFoundException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import io.chatbuilder.core.checkpoint.FileRef;
import io.chatbuilder.core.checkpoint.ForkDraft;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code diff} reads only the entries on the two read paths' unshared prefixes; it must agree with a
 * comparison of the full manifests for every pair of revisions of a random history: adds, deletes,
 * re-adds of a deleted path, modifications back to an earlier content, checkpoints big enough to be
 * written as new snapshots, empty checkpoints (shared revision), and a fork's revision compared with
 * its source's later ones.
 */
class JdbcDiffTest {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void diffAgreesWithFullManifestsOnARandomHistory(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      CheckpointStore store = TestDatabases.stores(dataSource, prefix).checkpointStore();
      Random random = new Random(19);
      String app = "app-" + UUID.randomUUID();
      Map<String, Optional<byte[]>> initial = new HashMap<>();
      for (int i = 0; i < 40; i++) {
        initial.put("src/f" + i + ".js", Optional.of(JdbcConcurrencyTest.bytes("v0 " + i)));
      }
      Checkpoint head = store.append(draft(app, Optional.empty(), Optional.empty(), initial));
      List<String> revisions = new ArrayList<>(List.of(head.resultRevisionId()));
      for (int n = 1; n <= 160; n++) {
        Map<String, Optional<byte[]>> changes = new HashMap<>();
        // Every 37th checkpoint rewrites many paths, so read paths outgrow the snapshot threshold.
        int count = n % 37 == 0 ? 700 : n % 11 == 0 ? 0 : 1 + random.nextInt(3);
        for (int k = 0; k < count; k++) {
          String path = "src/f" + random.nextInt(n % 37 == 0 ? 900 : 60) + ".js";
          int what = random.nextInt(10);
          changes.put(path, what < 2 ? Optional.empty()
              : Optional.of(JdbcConcurrencyTest.bytes("v" + (what < 4 ? 1 : n) + " " + path)));
        }
        head = store.append(draft(app, Optional.of(head.id()), Optional.of(head.resultRevisionId()), changes));
        revisions.add(head.resultRevisionId());
      }
      Checkpoint source = store.list(app, 200, Optional.empty()).get(120);
      String forkApp = "app-" + UUID.randomUUID();
      Checkpoint fork = store.fork(new ForkDraft(forkApp, app, source.id(), "fork", 0, ChangeStats.EMPTY, Instant.now()));
      Checkpoint forkHead = store.append(draft(forkApp, Optional.of(fork.id()), Optional.of(fork.resultRevisionId()),
          Map.of("src/f1.js", Optional.of(JdbcConcurrencyTest.bytes("fork")), "src/new.js", Optional.empty(),
              "src/f2.js", Optional.empty())));
      revisions.add(forkHead.resultRevisionId());

      Map<String, SortedMap<String, FileRef>> manifests = new HashMap<>();
      for (String r : revisions) {
        manifests.computeIfAbsent(r, id -> store.revision(id).files());
      }
      List<int[]> pairs = new ArrayList<>();
      for (int i = 1; i < revisions.size(); i++) {
        pairs.add(new int[] {i, i - 1}); // undo
        pairs.add(new int[] {i - 1, i}); // redo
      }
      for (int k = 0; k < 300; k++) {
        pairs.add(new int[] {random.nextInt(revisions.size()), random.nextInt(revisions.size())});
      }
      for (int[] pair : pairs) {
        String from = revisions.get(pair[0]);
        String to = revisions.get(pair[1]);
        assertThat(store.diff(from, to)).as("diff %d -> %d", pair[0], pair[1])
            .isEqualTo(fullDiff(manifests.get(from), manifests.get(to)));
      }
      assertThatThrownBy(() -> store.diff(revisions.get(0), "r-missing")).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> store.diff("r-missing", "r-missing")).isInstanceOf(NotFoundException.class);
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  private static SortedMap<String, Optional<FileRef>> fullDiff(SortedMap<String, FileRef> from,
      SortedMap<String, FileRef> to) {
    SortedMap<String, Optional<FileRef>> out = new TreeMap<>();
    from.forEach((path, ref) -> {
      FileRef other = to.get(path);
      if (other == null) {
        out.put(path, Optional.empty());
      } else if (!other.equals(ref)) {
        out.put(path, Optional.of(other));
      }
    });
    to.forEach((path, ref) -> {
      if (!from.containsKey(path)) {
        out.put(path, Optional.of(ref));
      }
    });
    return out;
  }

  private static CheckpointDraft draft(String app, Optional<String> head, Optional<String> base,
      Map<String, Optional<byte[]>> changes) {
    return new CheckpointDraft(app, head, base, changes, head.isEmpty() ? CheckpointType.INITIAL : CheckpointType.MANUAL,
        "c", Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), 0, ChangeStats.EMPTY, Instant.now());
  }
}
