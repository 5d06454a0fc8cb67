package io.chatbuilder.sandbox.local;

import io.chatbuilder.core.SandboxException;
import io.chatbuilder.core.sandbox.ResourceLimits;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One cgroup per command or service ({@code <controller>/chatbuilder/<sandbox>-<n>}), holding its
 * whole process tree to {@link ResourceLimits#maxProcesses()} (pids), {@link ResourceLimits#maxMemoryBytes()}
 * (memory) and {@link ResourceLimits#cpuCores()} (CPU bandwidth). cgroup v1 (controllers mounted
 * one per directory) and v2 (a unified hierarchy with the controllers enabled) are supported
 * where this process may create cgroups: as root, or in a delegated v2 hierarchy.
 *
 * <p>The pids cgroup is the only process limit that holds for a JVM running as root: the kernel
 * does not apply {@code RLIMIT_NPROC} to processes whose uid on the host is 0, even inside a user
 * namespace.
 */
final class Cgroups {
  private final Optional<Path> pids;
  private final Optional<Path> memory;
  private final Optional<Path> cpu;
  private final boolean v2;
  private final String unavailable;
  private final AtomicLong counter = new AtomicLong();
  private boolean cleaned;

  private Cgroups(Optional<Path> pids, Optional<Path> memory, Optional<Path> cpu, boolean v2, String unavailable) {
    this.pids = pids;
    this.memory = memory;
    this.cpu = cpu;
    this.v2 = v2;
    this.unavailable = unavailable;
  }

  /** Finds writable controllers under {@code mount} (normally {@code /sys/fs/cgroup}). */
  static Cgroups detect(Path mount) {
    if (Files.isRegularFile(mount.resolve("cgroup.controllers"))) {
      return detectV2(mount);
    }
    Optional<Path> pids = base(mount.resolve("pids"));
    Optional<Path> memory = base(mount.resolve("memory"));
    Optional<Path> cpu = base(mount.resolve("cpu"));
    String missing = pids.isEmpty() ? "no writable pids cgroup under " + mount + "/pids" : "";
    return new Cgroups(pids, memory, cpu, false, missing);
  }

  private static Cgroups detectV2(Path mount) {
    try {
      String available = Files.readString(mount.resolve("cgroup.controllers"));
      List<String> wanted = new ArrayList<>();
      for (String c : List.of("pids", "memory", "cpu")) {
        if ((" " + available.trim() + " ").contains(" " + c + " ")) {
          wanted.add("+" + c);
        }
      }
      if (!wanted.contains("+pids")) {
        return new Cgroups(Optional.empty(), Optional.empty(), Optional.empty(), true, "the pids controller is not available in " + mount);
      }
      enable(mount, wanted);
      Path base = mount.resolve("chatbuilder");
      Files.createDirectories(base);
      enable(base, wanted);
      String enabled = Files.readString(base.resolve("cgroup.subtree_control"));
      Optional<Path> b = Optional.of(base);
      return new Cgroups(b, enabled.contains("memory") ? b : Optional.empty(), enabled.contains("cpu") ? b : Optional.empty(),
          true, enabled.contains("pids") ? "" : "cannot enable the pids controller under " + base);
    } catch (IOException | RuntimeException e) {
      return new Cgroups(Optional.empty(), Optional.empty(), Optional.empty(), true,
          "cannot create cgroups under " + mount + ": " + e.getMessage());
    }
  }

  private static void enable(Path cgroup, List<String> controllers) throws IOException {
    String current = Files.readString(cgroup.resolve("cgroup.subtree_control"));
    for (String c : controllers) {
      if (!current.contains(c.substring(1))) {
        Files.writeString(cgroup.resolve("cgroup.subtree_control"), c);
      }
    }
  }

  private static Optional<Path> base(Path controller) {
    if (!Files.isRegularFile(controller.resolve("cgroup.procs"))) {
      return Optional.empty();
    }
    Path base = controller.resolve("chatbuilder");
    try {
      Files.createDirectories(base);
      return Files.isWritable(base) ? Optional.of(base) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Empty when a pids cgroup can be made; otherwise why not. */
  Optional<String> unavailable() {
    return unavailable.isEmpty() ? Optional.empty() : Optional.of(unavailable);
  }

  boolean limitsMemory() {
    return memory.isPresent();
  }

  boolean limitsCpu() {
    return cpu.isPresent();
  }

  /** Creates the cgroups of one process tree with its limits. */
  Group create(String sandboxId, ResourceLimits limits) {
    if (pids.isEmpty()) {
      throw new SandboxException("cannot limit processes: " + unavailable);
    }
    String prefix = sandboxId.replaceAll("[^A-Za-z0-9_-]", "_");
    if (prefix.length() > 64) {
      prefix = prefix.substring(0, 64);
    }
    List<Path> created = new ArrayList<>();
    synchronized (this) {
      if (!cleaned) {
        cleaned = true;
        removeStale(prefix);
      }
    }
    try {
      while (true) {
        String name = prefix + "-" + counter.incrementAndGet();
        try {
          created.clear();
          for (Path base : distinct()) {
            created.add(Files.createDirectory(base.resolve(name)));
          }
          break;
        } catch (FileAlreadyExistsException e) {
          // Another JVM used the same sandbox id and number: remove ours and try the next number.
          created.forEach(Cgroups::removeQuietly);
        }
      }
      Group group = new Group(created, name(created.get(0)), v2, limits);
      group.writeLimits(pids.map(b -> b.resolve(name(created.get(0)))), memory.map(b -> b.resolve(name(created.get(0)))),
          cpu.map(b -> b.resolve(name(created.get(0)))));
      return group;
    } catch (IOException e) {
      created.forEach(Cgroups::removeQuietly);
      throw new SandboxException("cannot create the cgroup of a sandbox process: " + e.getMessage(), e);
    }
  }

  /**
   * Removes empty cgroups a killed JVM left behind for this sandbox ({@code rmdir} fails on a
   * cgroup that still has processes, so live ones stay).
   */
  private void removeStale(String prefix) {
    java.util.regex.Pattern own = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(prefix) + "-[0-9]+");
    for (Path base : distinct()) {
      try (java.util.stream.Stream<Path> children = Files.list(base)) {
        children.filter(p -> own.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
            .forEach(Cgroups::removeQuietly);
      } catch (IOException e) {
        // Nothing to clean.
      }
    }
  }

  private static String name(Path p) {
    return p.getFileName().toString();
  }

  private List<Path> distinct() {
    List<Path> out = new ArrayList<>();
    for (Optional<Path> p : List.of(pids, memory, cpu)) {
      if (p.isPresent() && !out.contains(p.get())) {
        out.add(p.get());
      }
    }
    return out;
  }

  private static void removeQuietly(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // Still has processes; the caller kills them first.
    }
  }

  /** The cgroups of one command or service. */
  static final class Group {
    private final List<Path> directories;
    private final String name;
    private final boolean v2;
    private final ResourceLimits limits;
    private Optional<Path> pidsDir = Optional.empty();
    private Optional<Path> memoryDir = Optional.empty();

    private Group(List<Path> directories, String name, boolean v2, ResourceLimits limits) {
      this.directories = List.copyOf(directories);
      this.name = name;
      this.v2 = v2;
      this.limits = limits;
    }

    String name() {
      return name;
    }

    /** The directories whose {@code cgroup.procs} the process must enter before it starts the sandbox. */
    List<Path> directories() {
      return directories;
    }

    private void writeLimits(Optional<Path> pids, Optional<Path> memory, Optional<Path> cpu) throws IOException {
      pidsDir = pids;
      memoryDir = memory;
      if (pids.isPresent()) {
        write(pids.get().resolve("pids.max"), Integer.toString(limits.maxProcesses()));
      }
      if (memory.isPresent()) {
        if (v2) {
          write(memory.get().resolve("memory.max"), Long.toString(limits.maxMemoryBytes()));
          writeIfPresent(memory.get().resolve("memory.swap.max"), "0");
        } else {
          write(memory.get().resolve("memory.limit_in_bytes"), Long.toString(limits.maxMemoryBytes()));
          // Without swap accounting a process could page out past the limit.
          writeIfPresent(memory.get().resolve("memory.memsw.limit_in_bytes"), Long.toString(limits.maxMemoryBytes()));
        }
      }
      if (cpu.isPresent()) {
        long period = 100_000;
        long quota = Math.max(1000, Math.round(limits.cpuCores() * period));
        if (v2) {
          write(cpu.get().resolve("cpu.max"), quota + " " + period);
        } else {
          write(cpu.get().resolve("cpu.cfs_period_us"), Long.toString(period));
          write(cpu.get().resolve("cpu.cfs_quota_us"), Long.toString(quota));
        }
      }
    }

    private static void write(Path file, String value) throws IOException {
      Files.writeString(file, value);
    }

    private static void writeIfPresent(Path file, String value) {
      if (Files.exists(file)) {
        try {
          Files.writeString(file, value);
        } catch (IOException e) {
          // Optional refinement (swap accounting off in this kernel).
        }
      }
    }

    /** What the kernel stopped: fork refusals at the process limit, OOM kills at the memory limit. */
    List<String> limitsHit() {
      List<String> hits = new ArrayList<>();
      pidsDir.ifPresent(dir -> {
        if (counter(dir.resolve("pids.events"), "max") > 0) {
          hits.add("stopped: reached the limit of " + limits.maxProcesses() + " processes and threads (fork failed)");
        }
      });
      memoryDir.ifPresent(dir -> {
        long kills = v2 ? counter(dir.resolve("memory.events"), "oom_kill") : counter(dir.resolve("memory.oom_control"), "oom_kill");
        if (kills > 0) {
          hits.add("killed: over the " + limits.maxMemoryBytes() + " byte memory limit (out of memory)");
        }
      });
      return hits;
    }

    private static long counter(Path file, String key) {
      try {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          String[] parts = line.trim().split("\\s+");
          if (parts.length == 2 && parts[0].equals(key)) {
            return Long.parseLong(parts[1]);
          }
        }
      } catch (IOException | NumberFormatException e) {
        // Not available in this kernel: report nothing rather than guess.
      }
      return 0;
    }

    /** Kills every process still in the cgroup (also ones that left the process tree). */
    void killAll() {
      for (int round = 0; round < 50; round++) {
        List<Long> alive = members();
        if (alive.isEmpty()) {
          return;
        }
        for (long pid : alive) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    private List<Long> members() {
      List<Long> pids = new ArrayList<>();
      for (Path dir : directories) {
        try {
          for (String line : Files.readAllLines(dir.resolve("cgroup.procs"))) {
            if (!line.isBlank()) {
              pids.add(Long.parseLong(line.trim()));
            }
          }
        } catch (IOException | NumberFormatException e) {
          // Removed already.
        }
      }
      return pids;
    }

    /** Kills what is left and removes the cgroups; retries briefly while exiting processes leave. */
    void remove() {
      killAll();
      for (Path dir : directories) {
        for (int attempt = 0; attempt < 100 && Files.exists(dir); attempt++) {
          try {
            Files.deleteIfExists(dir);
          } catch (IOException e) {
            try {
              Thread.sleep(10);
            } catch (InterruptedException ie) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        }
      }
    }
  }
}
