package io.chatbuilder.core.sandbox;

import java.time.Duration;
import java.util.Objects;

/**
 * What the processes of one sandbox may use, enforced by the sandbox's isolation backend (for
 * {@code sandbox-local}: a pids and memory cgroup, or process rlimits where no cgroup can be made).
 * A process that goes over a limit fails or is killed with a clear message; the host is not harmed.
 *
 * @param maxProcesses processes and threads alive at once in one command or service
 * @param maxMemoryBytes memory of one command or service, its whole process tree
 * @param maxCpuTime CPU time of each process of a command (services are long-running and are not
 *     capped in total; they are held to {@code cpuCores})
 * @param cpuCores CPU share of one command or service, in cores
 * @param maxFileBytes the largest file a process may write
 * @param maxDiskBytes the total size of the app directory (checked while commands and services run)
 */
public record ResourceLimits(int maxProcesses, long maxMemoryBytes, Duration maxCpuTime, double cpuCores,
    long maxFileBytes, long maxDiskBytes) {

  /** 512 processes, 4 GiB, 10 CPU minutes, 1 core, 512 MiB per file, 4 GiB per app. */
  public static final ResourceLimits DEFAULTS =
      new ResourceLimits(512, 4L << 30, Duration.ofMinutes(10), 1.0, 512L << 20, 4L << 30);

  public ResourceLimits {
    if (maxProcesses < 8) {
      throw new IllegalArgumentException("maxProcesses must be >= 8: " + maxProcesses);
    }
    if (maxMemoryBytes < (64L << 20)) {
      throw new IllegalArgumentException("maxMemoryBytes must be >= 64 MiB: " + maxMemoryBytes);
    }
    Objects.requireNonNull(maxCpuTime, "maxCpuTime == null");
    if (maxCpuTime.toSeconds() < 1) {
      throw new IllegalArgumentException("maxCpuTime must be >= 1 s: " + maxCpuTime);
    }
    if (!(cpuCores >= 0.1 && cpuCores <= 1024)) {
      throw new IllegalArgumentException("cpuCores must be in 0.1..1024: " + cpuCores);
    }
    if (maxFileBytes < 1024 * 1024) {
      throw new IllegalArgumentException("maxFileBytes must be >= 1 MiB: " + maxFileBytes);
    }
    if (maxDiskBytes < maxFileBytes) {
      throw new IllegalArgumentException("maxDiskBytes must be >= maxFileBytes");
    }
  }

  public ResourceLimits withMaxProcesses(int n) {
    return new ResourceLimits(n, maxMemoryBytes, maxCpuTime, cpuCores, maxFileBytes, maxDiskBytes);
  }

  public ResourceLimits withMaxMemoryBytes(long n) {
    return new ResourceLimits(maxProcesses, n, maxCpuTime, cpuCores, maxFileBytes, maxDiskBytes);
  }

  public ResourceLimits withMaxCpuTime(Duration d) {
    return new ResourceLimits(maxProcesses, maxMemoryBytes, d, cpuCores, maxFileBytes, maxDiskBytes);
  }

  public ResourceLimits withCpuCores(double cores) {
    return new ResourceLimits(maxProcesses, maxMemoryBytes, maxCpuTime, cores, maxFileBytes, maxDiskBytes);
  }

  public ResourceLimits withMaxFileBytes(long n) {
    return new ResourceLimits(maxProcesses, maxMemoryBytes, maxCpuTime, cpuCores, n, maxDiskBytes);
  }

  public ResourceLimits withMaxDiskBytes(long n) {
    return new ResourceLimits(maxProcesses, maxMemoryBytes, maxCpuTime, cpuCores, maxFileBytes, n);
  }
}
