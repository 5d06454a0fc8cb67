package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 16 threads on 2 store instances (as if on 2 hosts) append to one app, each re-reading the head
 * after a conflict. Every append either lands or gets a conflict; none is lost or duplicated, and
 * the history stays one linear chain whose files are exactly what the winners wrote.
 */
class JdbcConcurrencyTest {
  private static final int THREADS = 16;
  private static final int APPENDS_PER_THREAD = 6;

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgresql", "mariadb"})
  void sixteenThreadsOnTwoStoresKeepOneLinearChain(String database) throws Exception {
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    try {
      CheckpointStore[] stores = {
          TestDatabases.stores(dataSource, prefix).checkpointStore(),
          TestDatabases.stores(dataSource, prefix).checkpointStore()};
      String app = "app-" + UUID.randomUUID();
      Checkpoint initial = stores[0].append(draft(app, Optional.empty(), Optional.empty(),
          Map.of("counter.txt", bytes("0")), "initial"));

      List<Checkpoint> landed = Collections.synchronizedList(new ArrayList<>());
      AtomicInteger conflicts = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int thread = 0; thread < THREADS; thread++) {
        CheckpointStore store = stores[thread % 2];
        int n = thread;
        futures.add(pool.submit(() -> {
          start.await();
          int done = 0;
          int attempt = 0;
          while (done < APPENDS_PER_THREAD) {
            Checkpoint head = store.head(app).orElseThrow();
            String label = "t" + n + "-" + done + "-a" + attempt++;
            try {
              landed.add(store.append(draft(app, Optional.of(head.id()), Optional.of(head.resultRevisionId()),
                  Map.of("counter.txt", bytes(label), "t" + n + "/file" + done + ".txt", bytes(label)), label)));
              done++;
            } catch (ConflictException e) {
              conflicts.incrementAndGet();
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
      pool.shutdown();

      List<Checkpoint> history = stores[1].list(app, 10_000, Optional.empty());
      assertThat(landed).hasSize(THREADS * APPENDS_PER_THREAD);
      assertThat(history).hasSize(landed.size() + 1);
      assertThat(history).containsAll(landed);
      Set<String> ids = new HashSet<>();
      history.forEach(c -> ids.add(c.id()));
      assertThat(ids).as("no duplicated checkpoint").hasSize(history.size());
      // Linear: each checkpoint's parent is the one listed right after it (newest first).
      for (int i = 0; i < history.size() - 1; i++) {
        assertThat(history.get(i).parentId()).contains(history.get(i + 1).id());
      }
      assertThat(history.get(history.size() - 1)).isEqualTo(initial);
      assertThat(stores[0].head(app)).contains(history.get(0));
      // Each checkpoint's revision holds its own write on top of everything before it.
      Checkpoint newest = history.get(0);
      assertThat(stores[0].revision(newest.resultRevisionId()).files()).hasSize(1 + landed.size());
      for (Checkpoint c : landed) {
        assertThat(stores[1].readFile(c.resultRevisionId(), "counter.txt"))
            .hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo(c.label()));
      }
      System.out.printf("%s: %d appends landed, %d conflicts%n", database, landed.size(), conflicts.get());
    } finally {
      TestDatabases.dropTables(dataSource, prefix);
    }
  }

  static CheckpointDraft draft(String app, Optional<String> head, Optional<String> base, Map<String, byte[]> files,
      String label) {
    Map<String, Optional<byte[]>> changes = new java.util.HashMap<>();
    files.forEach((p, b) -> changes.put(p, Optional.of(b)));
    return new CheckpointDraft(app, head, base, changes, head.isEmpty() ? CheckpointType.INITIAL : CheckpointType.MANUAL,
        label, Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), 0, ChangeStats.EMPTY,
        Instant.now().truncatedTo(ChronoUnit.MILLIS));
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
