package io.chatbuilder.store.git;

import io.chatbuilder.core.ConflictException;
import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The second process of the cross-JVM tests: a writer on the same repository, driven over stdin.
 *
 * <pre>
 * go HEAD TREE ROUND START_AT_MILLIS   append on HEAD at that wall-clock time; prints "won ID" or "conflict"
 * spam HEAD TREE                        append as fast as possible until killed; prints "won ID" for each
 * quit
 * </pre>
 */
public final class RaceWriter {
  public static void main(String[] args) throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (GitCheckpointStore store = GitCheckpointStore.open(Path.of(args[0]))) {
      String app = args[1];
      store.head(app); // warm up
      out.println("ready");
      for (String line; (line = in.readLine()) != null; ) {
        String[] f = line.split(" ");
        switch (f[0]) {
          case "go" -> {
            long startAt = Long.parseLong(f[4]);
            while (System.currentTimeMillis() < startAt) {
              Thread.onSpinWait();
            }
            try {
              out.println("won " + append(store, app, f[1], f[2], "child " + f[3]).id());
            } catch (ConflictException e) {
              out.println("conflict");
            }
          }
          case "spam" -> {
            String head = f[1];
            String tree = f[2];
            for (int i = 0; ; i++) {
              Checkpoint c = append(store, app, head, tree, "spam " + i);
              out.println("won " + c.id());
              head = c.id();
              tree = c.resultRevisionId();
            }
          }
          case "quit" -> {
            return;
          }
          default -> throw new IllegalArgumentException(line);
        }
      }
    }
  }

  static Checkpoint append(GitCheckpointStore store, String app, String head, String tree, String label) {
    return store.append(new CheckpointDraft(app, Optional.of(head), Optional.of(tree),
        Map.of("counter.txt", Optional.of(label.getBytes(StandardCharsets.UTF_8)),
            "src/" + label.replace(' ', '-') + ".txt", Optional.of(new byte[] {1, 2, 3})),
        CheckpointType.AGENT_RUN, label, Map.of(), Optional.empty(), Optional.empty(), Optional.empty(), 0,
        ChangeStats.EMPTY, Instant.now()));
  }
}
