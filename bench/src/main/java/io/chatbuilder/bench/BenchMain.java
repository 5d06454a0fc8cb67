package io.chatbuilder.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the benchmark suite of issue 10: each scenario against its peer in the same run, on the same
 * generated trees; prints a Markdown table and writes the results as JSON.
 *
 * <pre>
 * bench/run.sh                      # the full suite (several minutes)
 * bench/run.sh --smoke              # one tiny iteration of everything
 * bench/run.sh --scenarios B1,B7 --stores memory,git --sizes 1000
 * </pre>
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) {
    BenchConfig config;
    try {
      config = BenchConfig.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    List<Result> results = run(config, List.of(args));
    Report.printTable(results, System.out);
    System.out.println();
    System.out.println("results: " + config.out().toAbsolutePath().normalize());
  }

  /** Runs the configured scenarios, writes {@code config.out()} and returns the results. */
  static List<Result> run(BenchConfig config, List<String> args) {
    requireProgram("git", "git");
    if (config.runs("B7")) {
      requireProgram("rg", "ripgrep");
    }
    if (config.runs("B11") || config.runs("B13") || config.runs("B14")) {
      requireProgram("bwrap", "bubblewrap");
      requireProgram("npm", "npm");
    }
    List<StoreKind> stores = new ArrayList<>(config.stores());
    if (stores.contains(StoreKind.POSTGRESQL) && !StoreSession.postgresReachable()) {
      String why = "PostgreSQL is unreachable on 127.0.0.1:5432 (database test, user postgres)";
      if (config.requirePostgres() || "true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(why);
      }
      System.err.println("bench: " + why + "; skipping the postgresql store");
      stores.remove(StoreKind.POSTGRESQL);
    }
    if (stores.contains(StoreKind.MARIADB) && !StoreSession.mariadbReachable()) {
      String why = "MariaDB is unreachable on 127.0.0.1:3306 (database test, user root, no password)";
      if (config.requirePostgres() || "true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(why);
      }
      System.err.println("bench: " + why + "; skipping the mariadb store");
      stores.remove(StoreKind.MARIADB);
    }
    try {
      Files.createDirectories(config.workDir());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    List<Result> results = new ArrayList<>();
    CheckpointBench checkpoints = new CheckpointBench(config, List.copyOf(stores));
    long start = System.nanoTime();
    if (!config.smoke()) {
      warmUpJvm(config);
    }
    List<String> command = new ArrayList<>(List.of("bench/run.sh"));
    command.addAll(args);
    Map<String, Object> machine = machine();
    // results.json is rewritten after every scenario, so a run cut short keeps what it measured.
    Runnable save = () -> {
      machine.put("suite_seconds", Math.round((System.nanoTime() - start) / 1e9));
      Report.writeJson(config.out(), machine, command, results);
    };
    step(config, "B1", results, checkpoints::checkpointAfterAgentEdit, save);
    step(config, "B2", results, checkpoints::checkpointAfterCommand, save);
    step(config, "B3", results, checkpoints::undo, save);
    step(config, "B4", results, checkpoints::revertFile, save);
    step(config, "B5", results, checkpoints::listLatest, save);
    step(config, "B6", results, checkpoints::storage, save);
    step(config, "B7", results, () -> new SearchBench(config).run(), save);
    step(config, "B8", results, () -> new RemoteBench(config).run(), save);
    step(config, "B9", results, () -> new AgentLoopBench(config).run(), save);
    step(config, "B10", results, () -> new EditBench(config).run(), save);
    step(config, "B11", results, () -> new IsolationBench(config).run(), save);
    step(config, "B12", results, () -> new EventLogBench(config).run(), save);
    step(config, "B13", results, () -> new PreviewBench(config).run(), save);
    step(config, "B14", results, () -> new CreateToPreviewBench(config).run(), save);
    if (stores.contains(StoreKind.POSTGRESQL)) {
      step(config, "B15", results, () -> new DeltaSseBench(config).run(), save);
    } else if (config.runs("B15")) {
      System.err.println("bench: skipping B15: it measures the event log on PostgreSQL (add --stores postgresql)");
    }
    Workspace.deleteTree(config.workDir());
    save.run();
    return results;
  }

  /**
   * Compiles the hot paths (agent loop, sandbox, JSON, in-memory store) before the first
   * measurement, so the first scenario does not pay for the JIT the later ones get for free.
   */
  private static void warmUpJvm(BenchConfig config) {
    long start = System.nanoTime();
    Path dir = config.workDir().resolve("jvm-warm-up");
    Workspace tree = Workspace.generate(dir.resolve("app"), 200, 1);
    ScriptedAgent agent = new ScriptedAgent();
    try (io.chatbuilder.core.ChatBuilder builder = Facades.open(agent, new io.chatbuilder.core.checkpoint.InMemoryCheckpointStore(),
        tree.root(), io.chatbuilder.sandbox.local.ChangeDetection.SDK_AND_COMMANDS, 10)) {
      for (int i = 0; i < 300; i++) {
        String path = tree.fileToEdit(i);
        agent.plan(List.of(ScriptedAgent.writeFile(path, tree.edited(path, i)), ScriptedAgent.readFile(path)));
        Facades.chat(builder, "warm-up", "edit");
        if (i % 3 == 0) {
          builder.undo("warm-up");
        }
        builder.checkpoints("warm-up", 50);
      }
    }
    Workspace.deleteTree(dir);
    System.err.printf(java.util.Locale.ROOT, "bench: JVM warm-up done in %.1f s%n", (System.nanoTime() - start) / 1e9);
  }

  private interface Scenario {
    List<Result> run();
  }

  private static void step(BenchConfig config, String id, List<Result> results, Scenario scenario, Runnable save) {
    if (!config.runs(id)) {
      return;
    }
    long start = System.nanoTime();
    System.err.println("bench: " + id + " ...");
    List<Result> got = scenario.run();
    results.addAll(got);
    for (Result r : got) {
      System.err.printf(java.util.Locale.ROOT, "bench:   %-38s ours %s ms, peer %s ms, ratio %.2f%n",
          r.name(), r.oursStats(), r.peerStats(), r.ratio());
    }
    System.err.printf(java.util.Locale.ROOT, "bench: %s done in %.1f s%n", id, (System.nanoTime() - start) / 1e9);
    save.run();
  }

  private static void requireProgram(String program, String debianPackage) {
    if (Processes.version(program).isEmpty()) {
      throw new IllegalStateException(program + " is not installed (Debian package '" + debianPackage
          + "'); bench/run.sh installs it with apt-get");
    }
  }

  /** The machine the numbers were measured on. */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("date", Instant.now().toString());
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    m.put("cpu", cpuModel());
    m.put("cores", Runtime.getRuntime().availableProcessors());
    long ram = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    m.put("ram_gib", Math.round(ram / (1024.0 * 1024 * 1024)));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    m.put("max_heap_mib", Runtime.getRuntime().maxMemory() / (1024 * 1024));
    m.put("git", Processes.version("git").orElse("missing"));
    m.put("rg", Processes.version("rg").orElse("missing"));
    m.put("grep", Processes.version("grep").orElse("missing"));
    m.put("node", Processes.version("node").orElse("missing"));
    m.put("npm", Processes.version("npm").orElse("missing"));
    m.put("bwrap", Processes.version("bwrap").orElse("missing"));
    return m;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }
}
