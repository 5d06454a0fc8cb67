package io.chatbuilder.runtime.vite;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Nothing in the SDK starts a process but the sandbox: scans the main sources of every module of
 * the repository for {@code ProcessBuilder} and {@code Runtime.exec} and allows them only in the
 * files listed here, each with the reason it is not a way for app code to run on the host.
 */
class NoHostProcessesTest {
  /** Main source files allowed to start processes, and why. */
  private static final Map<String, String> ALLOWED = Map.of(
      "sandbox-local/src/main/java/io/chatbuilder/sandbox/local/ProcessLauncher.java",
      "the local sandbox's one launcher of commands and services: inside bubblewrap, or as plain processes only where"
          + " the host opted into unisolated()",
      "sandbox-local/src/main/java/io/chatbuilder/sandbox/local/Bubblewrap.java",
      "probes that bwrap works by running a fixed system program inside it; no app code",
      "sandbox-local/src/main/java/io/chatbuilder/sandbox/local/LocalService.java",
      "the host end of a service's bridge: socat joined to the sandbox's network namespace; no app code",
      "sandbox-local/src/main/java/io/chatbuilder/sandbox/local/RipgrepSearch.java",
      "the search's rg from the system directories, reading the app's files: inside bubblewrap's read-only profile, or"
          + " plain only where the host opted into unisolated(); no app code",
      "bench/src/main/java/io/chatbuilder/bench/Processes.java",
      "the benchmarks' peers (git, rg, grep; plain Vite for B13) on generated trees, run by whoever runs the benchmark; not part of the SDK",
      "tools-mcp/src/main/java/io/chatbuilder/tools/mcp/StdioTransport.java",
      "starts the stdio MCP servers the host configured (trusted host programs, like the host's own code), with a cleared"
          + " environment; never app code",
      "testkit/src/main/java/io/chatbuilder/testkit/HostilePathsContract.java",
      "a contract suite's fixture: runs mkfifo to plant a FIFO in the test's own tree (Java has no API for it); no app code, only in tests",
      "testkit/src/main/java/io/chatbuilder/testkit/NodeProject.java",
      "tests' runner of the repository's own Node projects (npm ci from the lockfile, tsc, node --test); no app code, only in tests");

  private static final Pattern PROCESS_BUILDER = Pattern.compile("\\bProcessBuilder\\b");
  private static final Pattern RUNTIME_EXEC = Pattern.compile("\\bRuntime\\b[\\s\\S]*\\.\\s*exec\\s*\\(");
  private static final Pattern COMMENTS = Pattern.compile("/\\*[\\s\\S]*?\\*/|//[^\\n]*");

  @Test
  void onlyTheSandboxStartsProcesses() throws IOException {
    Path repository = repositoryRoot();
    List<Path> modules = modules(repository);
    assertThat(modules).as("modules found under " + repository)
        .extracting(p -> p.getFileName().toString())
        .contains("core", "runtime-vite", "sandbox-local", "sandbox-remote", "examples", "bench");

    Map<String, String> launching = new TreeMap<>();
    for (Path module : modules) {
      Path main = module.resolve("src/main");
      if (!Files.isDirectory(main)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(main)) {
        for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          String code = COMMENTS.matcher(Files.readString(file, StandardCharsets.UTF_8)).replaceAll(" ");
          if (PROCESS_BUILDER.matcher(code).find() || RUNTIME_EXEC.matcher(code).find()) {
            launching.put(repository.relativize(file).toString().replace('\\', '/'), "starts a process");
          }
        }
      }
    }
    assertThat(launching.keySet()).as("main sources that start processes; only the sandbox may (see ALLOWED)")
        .isSubsetOf(ALLOWED.keySet());
    // A stale exception would hide a new file of the same name later: every entry must still be needed.
    assertThat(ALLOWED.keySet()).as("allowed files that no longer start processes").isSubsetOf(launching.keySet());
  }

  @Test
  void theScanSeesEveryWayThisTestLooksFor() {
    for (String code : List.of("new ProcessBuilder(argv).start()", "java.lang.ProcessBuilder pb;",
        "Runtime.getRuntime().exec(cmd)", "Runtime rt = Runtime.getRuntime();\n rt\n .exec (new String[] {\"x\"})")) {
      String stripped = COMMENTS.matcher(code).replaceAll(" ");
      assertThat(PROCESS_BUILDER.matcher(stripped).find() || RUNTIME_EXEC.matcher(stripped).find()).as(code).isTrue();
    }
    for (String code : List.of("// new ProcessBuilder()", "/** uses {@code ProcessBuilder} */ class A {}",
        "Runtime.getRuntime().availableProcessors()", "pattern.exec(x)")) {
      String stripped = COMMENTS.matcher(code).replaceAll(" ");
      assertThat(PROCESS_BUILDER.matcher(stripped).find() || RUNTIME_EXEC.matcher(stripped).find()).as(code).isFalse();
    }
  }

  /** The directory with the parent pom, from the module's directory (where surefire runs). */
  private static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("core"))
          && Files.isDirectory(p.resolve("runtime-vite"))) {
        return p;
      }
    }
    throw new AssertionError("repository root not found above " + dir);
  }

  private static List<Path> modules(Path repository) throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> children = Files.list(repository)) {
      for (Path child : children.sorted().toList()) {
        if (Files.isRegularFile(child.resolve("pom.xml"))) {
          out.add(child);
        }
      }
    }
    return out;
  }
}
