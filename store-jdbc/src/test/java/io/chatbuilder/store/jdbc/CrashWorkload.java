package io.chatbuilder.store.jdbc;

import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The child JVM of {@link JdbcCrashTest}: appends checkpoints to an H2 file database until it is
 * killed. Checkpoint number {@code n} of the app always makes the same changes, so the parent can
 * compute what every listed checkpoint must contain.
 */
public final class CrashWorkload {
  static final String APP = "crash-app";

  private CrashWorkload() {}

  public static void main(String[] args) {
    SimpleDataSource dataSource = TestDatabases.h2File(Path.of(args[0]));
    CheckpointStore store = JdbcStores.builder(dataSource).build().checkpointStore();
    PrintStream out = System.out;
    out.println("ready");
    out.flush();
    while (true) {
      Optional<Checkpoint> head = store.head(APP);
      long n = head.map(h -> h.toolSummary().get("write_file") + 1L).orElse(1L);
      Checkpoint c = store.append(draft(head, n));
      out.println("acked " + c.id());
      out.flush();
      if (out.checkError()) {
        return; // the parent is gone
      }
    }
  }

  /** The changes of checkpoint number {@code n} (1-based): deterministic. */
  static Map<String, Optional<byte[]>> changes(long n) {
    Random random = new Random(n);
    Map<String, Optional<byte[]>> changes = new TreeMap<>();
    changes.put("counter.txt", Optional.of(("checkpoint " + n).getBytes(StandardCharsets.UTF_8)));
    int files = 1 + random.nextInt(4);
    for (int i = 0; i < files; i++) {
      String path = "src/f" + random.nextInt(40) + ".js";
      if (n > 1 && random.nextInt(5) == 0) {
        changes.put(path, Optional.empty());
      } else {
        byte[] bytes = new byte[random.nextInt(4000)];
        if (random.nextBoolean()) {
          random.nextBytes(bytes);
        } else {
          java.util.Arrays.fill(bytes, (byte) ('a' + random.nextInt(26)));
        }
        changes.put(path, Optional.of(bytes));
      }
    }
    return changes;
  }

  /** Applies the changes of checkpoint {@code n} to {@code files}. */
  static void apply(SortedMap<String, byte[]> files, long n) {
    changes(n).forEach((path, content) -> {
      if (content.isPresent()) {
        files.put(path, content.get());
      } else {
        files.remove(path);
      }
    });
  }

  private static CheckpointDraft draft(Optional<Checkpoint> head, long n) {
    return new CheckpointDraft(APP, head.map(Checkpoint::id), head.map(Checkpoint::resultRevisionId), changes(n),
        head.isEmpty() ? CheckpointType.INITIAL : CheckpointType.AGENT_RUN, "checkpoint " + n, Map.of("write_file", (int) n),
        Optional.empty(), Optional.empty(), Optional.empty(), 0, ChangeStats.EMPTY, Instant.ofEpochMilli(1_700_000_000_000L + n));
  }
}
