package io.chatbuilder.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A Node project of this repository (such as {@code clients/typescript}) that a test builds and runs
 * with the machine's Node: found by walking up from the working directory, its dev dependencies
 * installed with {@code npm ci} from the committed lockfile when missing, every command's output
 * appended to one log. Without Node 20+ the test is skipped with a message; under {@code CI=true}
 * it fails instead, so CI can never pass without running it.
 */
public final class NodeProject {
  private static final long STEP_TIMEOUT_MINUTES = 5;

  /** What a command printed (stdout and stderr together) and its exit code. */
  public record Result(int exit, String output) {}

  private final Path directory;
  private final Path log;

  private NodeProject(Path directory, Path log) {
    this.directory = directory;
    this.log = log;
  }

  /**
   * The project at {@code relativePath} above the working directory, ready to run: Node 20+ checked
   * (or the test skipped), {@code npm ci} run when one of {@code installedMarkers} (paths under the
   * project) is missing. {@code log} is emptied first.
   */
  public static NodeProject prepare(String relativePath, Path log, String purpose, String... installedMarkers)
      throws IOException, InterruptedException {
    Objects.requireNonNull(relativePath, "relativePath == null");
    Objects.requireNonNull(log, "log == null");
    Path directory = locate(relativePath);
    Files.createDirectories(log.toAbsolutePath().getParent());
    Files.deleteIfExists(log);
    NodeProject project = new NodeProject(directory, log.toAbsolutePath());
    project.requireNode(purpose);
    for (String marker : installedMarkers) {
      if (!Files.exists(directory.resolve(marker))) {
        project.runOrFail(List.of(npm(), "ci", "--no-audit", "--no-fund", "--ignore-scripts"), Map.of());
        break;
      }
    }
    return project;
  }

  public Path directory() {
    return directory;
  }

  /** Runs a command in the project; the exit code is the caller's to check. */
  public Result run(List<String> command, Map<String, String> environment) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(directory.toFile()).redirectErrorStream(true);
    File out = Files.createTempFile("chatbuilder-node", ".log").toFile();
    pb.redirectOutput(out);
    pb.environment().putAll(environment);
    pb.environment().put("NO_COLOR", "1");
    Process p = pb.start();
    if (!p.waitFor(STEP_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " ran longer than " + STEP_TIMEOUT_MINUTES + " minutes:\n"
          + Files.readString(out.toPath()));
    }
    String output = Files.readString(out.toPath());
    Files.writeString(log, "$ " + String.join(" ", command) + "\n" + output + "\n", StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    Files.delete(out.toPath());
    return new Result(p.exitValue(), output);
  }

  /** Runs a command in the project and fails with its output when it exits non-zero; returns the output. */
  public String runOrFail(List<String> command, Map<String, String> environment) throws IOException, InterruptedException {
    Result r = run(command, environment);
    if (r.exit() != 0) {
      throw new AssertionError(String.join(" ", command) + " in " + directory + " exited " + r.exit() + ":\n" + r.output());
    }
    return r.output();
  }

  /** Deletes a directory tree if it exists (build output between runs). */
  public static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private void requireNode(String purpose) throws InterruptedException {
    String message = "Node.js 20+ is needed " + purpose;
    try {
      Result r = run(List.of("node", "--version"), Map.of());
      String version = r.output().strip();
      if (r.exit() != 0 || !version.matches("v\\d+.*") || Integer.parseInt(version.replaceAll("^v(\\d+).*", "$1")) < 20) {
        throw new AssertionError(message + "; found: " + version);
      }
    } catch (IOException e) {
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(message + ": " + e.getMessage(), e);
      }
      Assumptions.abort(message + ": " + e.getMessage());
    }
  }

  private static Path locate(String relativePath) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve(relativePath);
      if (Files.exists(candidate.resolve("package.json"))) {
        return candidate;
      }
    }
    throw new AssertionError(relativePath + " not found above " + Path.of("").toAbsolutePath());
  }

  private static String npm() {
    return System.getProperty("os.name").startsWith("Windows") ? "npm.cmd" : "npm";
  }
}
