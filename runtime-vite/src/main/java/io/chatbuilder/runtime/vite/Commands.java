package io.chatbuilder.runtime.vite;

import io.chatbuilder.core.SandboxException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Runs npm and node as argument vectors with an exact environment, and kills whole process trees. */
final class Commands {
  private Commands() {}

  /** How a command ended. */
  record Result(int exitCode, boolean timedOut) {
    boolean ok() {
      return !timedOut && exitCode == 0;
    }
  }

  /** The PATH of the host, so {@code node} and {@code npm} resolve as in a shell. */
  static String hostPath() {
    String path = System.getenv("PATH");
    return path == null || path.isBlank() ? "/usr/local/bin:/usr/bin:/bin" : path;
  }

  /** Starts a process with exactly {@code env} (nothing inherited), stdout and stderr merged. */
  static Process start(List<String> command, Path directory, Map<String, String> env) {
    ProcessBuilder pb = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      p.getOutputStream().close();
      return p;
    } catch (IOException e) {
      throw new SandboxException("cannot start " + command.get(0) + ": " + e.getMessage(), e);
    }
  }

  /** Reads a process's output line by line on a daemon thread until it closes. */
  static Thread pump(Process process, String name, Consumer<String> lines) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          lines.accept(line);
        }
      } catch (IOException ignored) {
        // the process went away; its output ends here
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Runs a command to its end, killing its process tree after {@code timeout}. */
  static Result run(List<String> command, Path directory, Map<String, String> env, Duration timeout, Consumer<String> lines) {
    Process p = start(command, directory, env);
    Thread reader = pump(p, "chatbuilder-" + command.get(0) + "-output", lines);
    boolean exited;
    try {
      exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      killTree(p.toHandle());
      Thread.currentThread().interrupt();
      throw new io.chatbuilder.core.CancelledException("interrupted while running " + command.get(0));
    }
    if (!exited) {
      killTree(p.toHandle());
    }
    try {
      reader.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new Result(exited ? p.exitValue() : -1, !exited);
  }

  /**
   * Kills a process and every descendant: politely first (SIGTERM), then forcibly. Descendants are
   * collected before the parent dies, since orphans are re-parented and no longer found from it.
   */
  static void killTree(ProcessHandle root) {
    List<ProcessHandle> all = new ArrayList<>();
    root.descendants().forEach(all::add);
    all.add(root);
    for (ProcessHandle h : all) {
      h.destroy();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    for (ProcessHandle h : all) {
      long left = deadline - System.nanoTime();
      try {
        if (left > 0) {
          h.onExit().get(left, TimeUnit.NANOSECONDS);
        }
      } catch (Exception ignored) {
        // forced below
      }
    }
    for (ProcessHandle h : all) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
  }
}
