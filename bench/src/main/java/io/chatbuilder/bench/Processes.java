package io.chatbuilder.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the peers' programs (git, rg, grep) as a user's tool would: one process per command; and
 * the long-running ones of B13 (plain Vite, chromedriver with headless Chromium).
 */
final class Processes {
  private Processes() {}

  /** What a finished process printed. */
  record Output(int exitCode, String stdout, String stderr, long stdoutLines) {}

  /**
   * Runs {@code argv} in {@code directory} with {@code env} added, draining stdout (counting its
   * lines) and stderr; fails unless the exit code is one of {@code okCodes}.
   */
  static Output run(Path directory, Map<String, String> env, boolean keepStdout, List<String> argv, int... okCodes) {
    ProcessBuilder pb = new ProcessBuilder(argv).directory(directory.toFile());
    pb.environment().putAll(env);
    try {
      Process process = pb.start();
      process.getOutputStream().close();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      Thread errDrain = new Thread(() -> copy(process.getErrorStream(), err), "bench-stderr");
      errDrain.setDaemon(true);
      errDrain.start();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long lines = 0;
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          for (int i = 0; i < n; i++) {
            if (buffer[i] == '\n') {
              lines++;
            }
          }
          if (keepStdout) {
            out.write(buffer, 0, n);
          }
        }
      }
      int code = process.waitFor();
      errDrain.join();
      String stderr = err.toString(StandardCharsets.UTF_8);
      boolean ok = okCodes.length == 0 ? code == 0 : contains(okCodes, code);
      if (!ok) {
        throw new IllegalStateException(String.join(" ", argv) + " exited with " + code + ": " + stderr.strip());
      }
      return new Output(code, out.toString(StandardCharsets.UTF_8), stderr, lines);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", argv) + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /**
   * Starts a long-running peer (plain Vite, chromedriver) in {@code directory}, its output appended
   * to {@code log}; the caller stops it with {@link #stop}.
   */
  static Process start(Path directory, List<String> argv, Path log) {
    try {
      return new ProcessBuilder(argv).directory(directory.toFile()).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + String.join(" ", argv) + ": " + e.getMessage(), e);
    }
  }

  /** Stops a process started by {@link #start} and its descendants (Vite's esbuild, Chromium). */
  static void stop(Process process) {
    List<ProcessHandle> tree = new java.util.ArrayList<>(process.descendants().toList());
    tree.forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  static Output run(Path directory, List<String> argv) {
    return run(directory, Map.of(), true, argv);
  }

  /** The first line a program prints for {@code --version}, or empty if it is not installed. */
  static Optional<String> version(String program) {
    try {
      Output out = run(Path.of("."), Map.of(), true, List.of(program, "--version"));
      return Optional.of(out.stdout().lines().findFirst().orElse("").strip());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private static boolean contains(int[] codes, int code) {
    for (int c : codes) {
      if (c == code) {
        return true;
      }
    }
    return false;
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try (in) {
      in.transferTo(out);
    } catch (IOException e) {
      // the process went away; what was read is enough for an error message
    }
  }
}
