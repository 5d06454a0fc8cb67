package io.chatbuilder.store.git;

import static io.chatbuilder.store.git.TestSupport.gitOk;
import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.checkpoint.ChangeStats;
import io.chatbuilder.core.checkpoint.Checkpoint;
import io.chatbuilder.core.checkpoint.CheckpointDraft;
import io.chatbuilder.core.checkpoint.CheckpointType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The closing-note measurement (opt-in, slow): 1,000 checkpoints of a 10,000-file app changing one
 * file each, through this store and through the git CLI in the same run. Run with
 * {@code mvn -o -pl store-git verify -Dtest=MeasureCheckpointCostTest -Dchatbuilder.measure=true}
 * (and an empty {@code XDG_CONFIG_HOME} to see a truly first use of JGit).
 */
@EnabledIfSystemProperty(named = "chatbuilder.measure", matches = "true")
class MeasureCheckpointCostTest {
  static final int FILES = 10_000;
  static final int CHECKPOINTS = Integer.getInteger("chatbuilder.measure.checkpoints", 1_000);

  @TempDir Path tmp;
  final StringBuilder report = new StringBuilder();

  static String path(int i) {
    return "src/feature" + (i / 500) + "/part" + (i / 100 % 5) + "/file" + (i % 100) + ".js";
  }

  static byte[] content(int i, int version) {
    StringBuilder s = new StringBuilder();
    s.append("// file ").append(i).append(" version ").append(version).append('\n');
    for (int line = 0; line < 12; line++) {
      s.append("export function f").append(i).append('_').append(line).append("(x) { return x * ")
          .append(line + 1).append(" + ").append(i % 97).append("; }\n");
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  static int changedFile(int step) {
    return (int) ((step * 7919L) % FILES);
  }

  void line(String format, Object... args) {
    String s = String.format(format, args);
    System.out.println(s);
    report.append(s).append('\n');
  }

  /** The same measurement without Maven: {@code java -cp <test classpath> ...MeasureCheckpointCostTest}. */
  public static void main(String[] args) throws Exception {
    MeasureCheckpointCostTest m = new MeasureCheckpointCostTest();
    m.tmp = Files.createTempDirectory("store-git-measure");
    m.measure();
  }

  @Test
  void measure() throws Exception {
    line("measurement: %d checkpoints of a %d-file app changing one file each; cpus=%d, load=%s",
        CHECKPOINTS, FILES, Runtime.getRuntime().availableProcessors(), loadAverage());
    firstUse();
    double[] store = measureStore();
    double[] cliOnly = measureGitCli(false);
    line("ratio time/checkpoint: git commit -- path = %.2fx store", cliOnly[0] / store[0]);
    if (Boolean.getBoolean("chatbuilder.measure.addAll")) {
      double[] cliAddAll = measureGitCli(true);
      line("ratio time/checkpoint: git add -A + commit = %.2fx store", cliAddAll[0] / store[0]);
    }
    if (Files.isDirectory(Path.of("target"))) {
      Files.writeString(Path.of("target", "store-git-measurement.txt"), report);
    }
  }

  static String loadAverage() {
    double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load < 0 ? "unknown" : String.format("%.1f", load);
  }

  void firstUse() throws Exception {
    for (String mode : List.of("store", "jgit-default")) {
      Path xdg = Files.createDirectories(tmp.resolve("xdg-" + mode));
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          FirstUse.class.getName(), mode, tmp.resolve("first-" + mode + ".git").toString());
      pb.environment().put("XDG_CONFIG_HOME", xdg.toString());
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      assertThat(p.waitFor()).isZero();
      line("first use in a fresh JVM, no cached JGit probe: %-12s %s ms to the first written ref", mode, out);
    }
  }

  double[] measureStore() {
    Path gitDir = tmp.resolve("store.git");
    try (GitCheckpointStore store = GitCheckpointStore.open(gitDir)) {
      Map<String, Optional<byte[]>> files = new HashMap<>();
      for (int i = 0; i < FILES; i++) {
        files.put(path(i), Optional.of(content(i, 0)));
      }
      long t0 = System.nanoTime();
      Checkpoint head = store.append(draft(Optional.empty(), files, "initial import"));
      long initialMs = (System.nanoTime() - t0) / 1_000_000;
      long[] each = new long[CHECKPOINTS];
      long start = System.nanoTime();
      for (int step = 1; step <= CHECKPOINTS; step++) {
        int f = changedFile(step);
        long s = System.nanoTime();
        head = store.append(draft(Optional.of(head), Map.of(path(f), Optional.of(content(f, step))), "step " + step));
        each[step - 1] = System.nanoTime() - s;
      }
      double total = (System.nanoTime() - start) / 1e6;
      store.close(); // waits for background packing
      assertThat(store.directory()).isEqualTo(gitDir);
      double[] r = summarize("store-git (JGit)", initialMs, total, each, gitDir);
      assertThat(gitOk(gitDir, "rev-list", "--count", GitCheckpointStore.refName("measured")).text().strip())
          .isEqualTo(Integer.toString(CHECKPOINTS + 1));
      return r;
    }
  }

  static CheckpointDraft draft(Optional<Checkpoint> head, Map<String, Optional<byte[]>> changes, String label) {
    return new CheckpointDraft("measured", head.map(Checkpoint::id), head.map(Checkpoint::resultRevisionId), changes,
        CheckpointType.AGENT_RUN, label, Map.of("write_file", 1), Optional.of("run"), Optional.empty(), Optional.empty(),
        0, ChangeStats.EMPTY, Instant.now());
  }

  double[] measureGitCli(boolean addAll) throws IOException {
    Path work = tmp.resolve(addAll ? "cli-add-all" : "cli-path");
    for (int i = 0; i < FILES; i++) {
      Path p = work.resolve(path(i));
      Files.createDirectories(p.getParent());
      Files.write(p, content(i, 0));
    }
    Path gitDir = work.resolve(".git");
    run(work, "git", "init", "-q");
    long t0 = System.nanoTime();
    run(work, "git", "add", "-A");
    run(work, "git", "commit", "-q", "-m", "initial import");
    long initialMs = (System.nanoTime() - t0) / 1_000_000;
    long[] each = new long[CHECKPOINTS];
    long start = System.nanoTime();
    for (int step = 1; step <= CHECKPOINTS; step++) {
      int f = changedFile(step);
      long s = System.nanoTime();
      Files.write(work.resolve(path(f)), content(f, step));
      if (addAll) {
        run(work, "git", "add", "-A");
        run(work, "git", "commit", "-q", "-m", "step " + step);
      } else {
        run(work, "git", "commit", "-q", "-m", "step " + step, "--", path(f));
      }
      each[step - 1] = System.nanoTime() - s;
    }
    double total = (System.nanoTime() - start) / 1e6;
    return summarize(addAll ? "git CLI: add -A; commit" : "git CLI: commit -- path", initialMs, total, each, gitDir);
  }

  double[] summarize(String who, long initialMs, double totalMs, long[] each, Path gitDir) {
    awaitBackgroundGc(gitDir);
    long[] sorted = each.clone();
    Arrays.sort(sorted);
    double perCheckpoint = totalMs / each.length;
    long size = size(gitDir);
    long objects = size(gitDir.resolve("objects"));
    long loose = TestSupport.looseObjectCount(gitDir);
    gitOk(gitDir, "gc", "-q");
    awaitBackgroundGc(gitDir);
    long afterGc = size(gitDir.resolve("objects"));
    line("%-26s initial %6d ms | per checkpoint avg %6.2f ms, p50 %6.2f, p95 %6.2f | as left: git dir %5.1f MiB,"
        + " objects %5.1f MiB, %d loose | objects after git gc %5.1f MiB",
        who, initialMs, perCheckpoint, sorted[each.length / 2] / 1e6, sorted[(int) (each.length * 0.95)] / 1e6,
        size / 1048576.0, objects / 1048576.0, loose, afterGc / 1048576.0);
    return new double[] {perCheckpoint, size};
  }

  /** git commit may start a detached `git gc --auto`; sizes are read once it finished. */
  static void awaitBackgroundGc(Path gitDir) {
    try {
      for (int i = 0; i < 600 && Files.exists(gitDir.resolve("gc.pid")); i++) {
        Thread.sleep(500);
      }
      Thread.sleep(200);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static long size(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0; // removed while walking
        }
      }).sum();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void run(Path dir, String... command) {
    List<String> cmd = new ArrayList<>(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
    pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
    pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
    pb.environment().put("GIT_AUTHOR_NAME", "m");
    pb.environment().put("GIT_AUTHOR_EMAIL", "m@localhost");
    pb.environment().put("GIT_COMMITTER_NAME", "m");
    pb.environment().put("GIT_COMMITTER_EMAIL", "m@localhost");
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT);
    try {
      assertThat(pb.start().waitFor()).as(String.join(" ", cmd)).isZero();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
