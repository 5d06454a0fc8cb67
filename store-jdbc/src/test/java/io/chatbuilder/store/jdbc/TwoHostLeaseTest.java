package io.chatbuilder.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.checkpoint.CheckpointType;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Two host JVMs ({@link LeaseHost}) on one real database send a chat and an undo for the same app
 * at the same moment, 50 rounds, each host with a workspace of its own or both in one directory: the app's lease lets exactly one operation in at a time (every
 * granted lease is marked by an exclusively created file, so an overlap cannot go unseen), every
 * loser gets busy before its host touched anything, and every checkpoint of a run holds that
 * run's own work.
 */
class TwoHostLeaseTest {
  private static final int ROUNDS = 50;
  private static final String APP = "shop";

  @ParameterizedTest(name = "{0}, {1} workspace")
  @CsvSource({"postgresql, own", "postgresql, shared", "mariadb, own", "mariadb, shared"})
  void twoHostsNeverOverlapOnOneApp(String database, String workspace, @TempDir Path dir) throws Exception {
    boolean sharedWorkspace = workspace.equals("shared");
    Path sharedDir = dir.resolve("workspace");
    SimpleDataSource dataSource = TestDatabases.named(database);
    String prefix = TestDatabases.uniquePrefix();
    JdbcStores stores = TestDatabases.stores(dataSource, prefix);
    List<Host> hosts = new ArrayList<>();
    Map<String, String> finalFiles = new HashMap<>();
    try {
      for (String id : List.of("host-1", "host-2")) {
        hosts.add(new Host(id, new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            LeaseHost.class.getName(), database, prefix, APP, id, dir.toString(), sharedWorkspace ? sharedDir.toString() : "own")
            .redirectError(dir.resolve(id + ".err").toFile())
            .start()));
      }
      for (Host h : hosts) {
        h.await("ready", dir);
      }
      for (int round = 1; round <= ROUNDS; round++) {
        for (Host h : hosts) {
          h.stdin.write(("round " + round + "\n").getBytes(StandardCharsets.UTF_8));
        }
        for (Host h : hosts) {
          h.stdin.flush(); // both hosts start the round at (nearly) the same instant
        }
        for (Host h : hosts) {
          h.await("done " + round, dir);
        }
      }
      for (Host h : hosts) {
        h.stdin.write("final\n".getBytes(StandardCharsets.UTF_8));
        h.stdin.flush();
        finalFiles.put(h.id, h.awaitPrefix("files ", dir));
      }
      for (Host h : hosts) {
        h.stdin.close();
        assertThat(h.process.waitFor(60, TimeUnit.SECONDS)).as(h.id + " exits").isTrue();
      }
    } finally {
      hosts.forEach(h -> h.process.destroyForcibly());
    }

    Map<String, Integer> counts = new HashMap<>();
    Map<String, String> completedRuns = new HashMap<>(); // run id -> message
    Map<String, String> runCheckpoints = new HashMap<>(); // run id -> checkpoint id
    List<String> overlaps = new ArrayList<>();
    List<String> touched = new ArrayList<>();
    List<String> unexpected = new ArrayList<>();
    for (Host h : hosts) {
      for (String line : h.lines) {
        String[] f = line.split(" ");
        if (line.startsWith("done ") || line.equals("ready") || line.startsWith("files ")) {
          continue;
        }
        counts.merge(h.id + " " + f[0] + " " + f[1], 1, Integer::sum);
        counts.merge(f[0] + " " + f[1], 1, Integer::sum);
        if (line.startsWith("overlap")) {
          overlaps.add(h.id + ": " + line);
        } else if (line.contains(" busy ") && !line.contains(" busy untouched ")) {
          touched.add(h.id + ": " + line);
        } else if (line.contains(" busy untouched ") && !line.contains("is busy: host-")) {
          unexpected.add(h.id + ": " + line);
        } else if (line.startsWith("chat completed ")) {
          completedRuns.put(f[2], f[3]);
          runCheckpoints.put(f[2], f[4]);
        } else if (line.startsWith("chat failed ")) {
          unexpected.add(h.id + ": " + line); // with leases and fast-forwards no run fails
        } else if (line.startsWith("undo conflict")) {
          unexpected.add(h.id + ": " + line);
        } else if (line.startsWith("chat cancelled") || line.startsWith("error ")) {
          unexpected.add(h.id + ": " + line);
        }
      }
    }
    System.out.printf("two hosts on %s, %s workspace, %d rounds: %s%n", database, workspace, ROUNDS,
        new java.util.TreeMap<>(counts));

    assertThat(overlaps).as("overlapping leases").isEmpty();
    assertThat(touched).as("busy after touching the workspace").isEmpty();
    assertThat(unexpected).isEmpty();
    int busy = counts.getOrDefault("chat busy", 0) + counts.getOrDefault("undo busy", 0);
    assertThat(busy).as("the hosts really contended").isPositive();
    for (Host h : hosts) {
      assertThat(counts.getOrDefault(h.id + " chat completed", 0)).as("chats completed by " + h.id).isPositive();
    }

    // Every run's checkpoint holds that run's own work, and no checkpoint claims a run nobody reported.
    CheckpointStore store = stores.checkpointStore();
    List<Checkpoint> history = store.list(APP, Integer.MAX_VALUE, Optional.empty());
    for (Map.Entry<String, String> run : completedRuns.entrySet()) {
      Checkpoint c = store.find(APP, runCheckpoints.get(run.getKey())).orElseThrow();
      assertThat(c.runId()).contains(run.getKey());
      assertThat(store.readFile(c.resultRevisionId(), "work.txt").map(b -> new String(b, StandardCharsets.UTF_8)))
          .as("work.txt of run %s", run.getKey()).contains(run.getValue());
    }
    assertThat(history).filteredOn(c -> c.type() == CheckpointType.AGENT_RUN)
        .allSatisfy(c -> assertThat(completedRuns).containsKey(c.runId().orElseThrow()));
    assertThat(stores.leaseStore().current(APP)).as("every lease was released").isEmpty();
    // Lost files 0: each host's workspace, brought up to date, holds exactly the head's files.
    Checkpoint last = store.head(APP).orElseThrow();
    java.util.SortedMap<String, String> headFiles = new java.util.TreeMap<>();
    store.revision(last.resultRevisionId()).files().forEach((path, ref) -> headFiles.put(path, ref.blobId()));
    for (Host h : hosts) {
      assertThat(finalFiles.get(h.id)).as("files of %s's workspace", h.id).isEqualTo("files " + headFiles);
    }
    // One conversation, every turn whole: valid for both providers after 50 rounds on two hosts.
    KillHostTest.assertValidForProviders(stores.conversationStore().load(APP));
    if (sharedWorkspace) {
      // One workspace: no file is lost or stale.
      Checkpoint head = store.head(APP).orElseThrow();
      Map<String, String> expected = new java.util.TreeMap<>();
      store.revision(head.resultRevisionId()).files().keySet().forEach(path -> expected.put(path,
          new String(store.readFile(head.resultRevisionId(), path).orElseThrow(), StandardCharsets.UTF_8)));
      Map<String, String> actual = new java.util.TreeMap<>();
      try (var files = Files.list(sharedDir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          actual.put(p.getFileName().toString(), Files.readString(p));
        }
      }
      assertThat(actual).as("the shared workspace equals the head").isEqualTo(expected);
    }
    TestDatabases.dropTables(dataSource, prefix);
  }

  /** One child JVM and what it printed. */
  private static final class Host {
    final String id;
    final Process process;
    final OutputStream stdin;
    final List<String> lines = new ArrayList<>();
    final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

    Host(String id, Process process) {
      this.id = id;
      this.process = process;
      this.stdin = process.getOutputStream();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            queue.add(line);
          }
        } catch (Exception e) {
          // the pipe closes when the child ends
        }
      }, "lease-host-reader-" + id);
      reader.setDaemon(true);
      reader.start();
    }

    String awaitPrefix(String prefix, Path dir) throws Exception {
      while (true) {
        String line = queue.poll(120, TimeUnit.SECONDS);
        if (line == null) {
          throw new AssertionError(id + " did not print '" + prefix + "...'");
        }
        lines.add(line);
        if (line.startsWith(prefix)) {
          return line;
        }
      }
    }

    void await(String marker, Path dir) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (true) {
        String line = queue.poll(1, TimeUnit.SECONDS);
        if (line == null && process.isAlive() && System.nanoTime() < deadline) {
          continue;
        }
        if (line == null) {
          line = queue.poll(1, TimeUnit.SECONDS); // the last lines of a child that just ended
        }
        if (line == null) {
          String err = Files.exists(dir.resolve(id + ".err")) ? Files.readString(dir.resolve(id + ".err")) : "";
          throw new AssertionError(id + " did not print '" + marker + "' (alive: " + process.isAlive() + "); stderr:\n"
              + err.substring(Math.max(0, err.length() - 4000)));
        }
        lines.add(line);
        if (line.equals(marker)) {
          return;
        }
      }
    }
  }
}
