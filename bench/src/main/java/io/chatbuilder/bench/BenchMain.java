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
    List<StoreKind> stores = new ArrayList<>(config.stores());
    if (stores.contains(StoreKind.POSTGRESQL) && !StoreSession.postgresReachable()) {
      String why = "PostgreSQL is unreachable on 127.0.0.1:5432 (database test, user postgres)";
      if (config.requirePostgres() || "true".equals(System.getenv("CI"))) {
        throw new IllegalStateException(why);
      }
      System.err.println("bench: " + why + "; skipping the postgresql store");
      stores.remove(StoreKind.POSTGRESQL);
    }
    try {
      Files.createDirectories(config.workDir());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    List<Result> results = new ArrayList<>();
    CheckpointBench checkpoints = new CheckpointBench(config, List.copyOf(stores));
    long start = System.nanoTime();
    step(config, "B1", results, checkpoints::checkpointAfterAgentEdit);
    step(config, "B2", results, checkpoints::checkpointAfterCommand);
    step(config, "B3", results, checkpoints::undo);
    step(config, "B4", results, checkpoints::revertFile);
    step(config, "B5", results, checkpoints::listLatest);
    step(config, "B6", results, checkpoints::storage);
    step(config, "B7", results, () -> new SearchBench(config).run());
    step(config, "B8", results, () -> new RemoteBench(config).run());
    step(config, "B9", results, () -> new AgentLoopBench(config).run());
    Workspace.deleteTree(config.workDir());
    Map<String, Object> machine = machine();
    machine.put("suite_seconds", Math.round((System.nanoTime() - start) / 1e9));
    List<String> command = new ArrayList<>(List.of("bench/run.sh"));
    command.addAll(args);
    Report.writeJson(config.out(), machine, command, results);
    return results;
  }

  private interface Scenario {
    List<Result> run();
  }

  private static void step(BenchConfig config, String id, List<Result> results, Scenario scenario) {
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
